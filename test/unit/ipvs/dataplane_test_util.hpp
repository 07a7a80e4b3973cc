#pragma once
// What the dataplane tests share: real mbufs (EAL with --no-huge), a packet builder, an independent RFC 1071
// checksum to judge the code under test by, a decoder of what came out, and a connection core without the
// daemon around it (netif, inet and the service manager built but never initialised).
//
// The reference checksum works on network-order words and copies; it shares nothing with packet_view.hpp,
// DPDK's rte_raw_cksum or inet's checksum helpers, so a bug there cannot hide behind a matching bug here.

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "conn/conn.hpp"
#include "dataplane/ipvs_dataplane.hpp"
#include "dataplane/lcore_ipvs.hpp"
#include "dataplane/packet_view.hpp"
#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/local_port_pool.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "fulcrum/ipvs/worker_service.hpp"
#include "fulcrum/netif/netif.hpp"

namespace fulcrum::netif {
class Dataplane;
}

namespace fulcrum::ipvs {

extern const ForwardOps kFullnatOps;

// The test-only friend of IpvsDataplane (declared there): the private steps of the path, one at a time.
struct DataplaneTestAccess {
  static inet::Verdict on_icmp(IpvsDataplane& dp, LcoreIpvs& L, rte_mbuf* m, PacketView& v, rte_mbuf** out,
                               unsigned* n_out) {
    return dp.on_icmp(L, m, v, out, n_out);
  }
  static Conn* create(IpvsDataplane& dp, LcoreIpvs& L, WorkerService& svc, DestIndex di, const FlowKey& k,
                      rte_mbuf* m) {
    return dp.create(L, svc, di, k, m);
  }
  static bool forward(IpvsDataplane& dp, LcoreIpvs& L, Conn& c, ConnDir dir, rte_mbuf* m, PacketView& v) {
    return dp.forward(L, c, dir, m, v);
  }
  static bool forward(IpvsDataplane& dp, LcoreIpvs& L, Conn& c, ConnDir dir, rte_mbuf* m, PacketView& v,
                      EgressRoute* route) {
    return dp.forward(L, c, dir, m, v, route);
  }
  static Conn* snat_create(IpvsDataplane& dp, LcoreIpvs& L, const SnatMatch& rule, const FlowKey& k) {
    return dp.snat_create(L, rule, k);
  }
  static core::TimerWheel::Callback on_expire() { return &IpvsDataplane::on_expire; }
};

namespace dptest {

using Addr = std::array<uint8_t, 16>;

Addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
Addr v6(const char* text);
inline size_t alen(uint8_t family) { return family == 4 ? 4 : 16; }

uint16_t rd16(const uint8_t* p);
void wr16(uint8_t* p, uint16_t v);

// ---- the reference: RFC 1071 over network-order words, an odd last byte padded with a zero ----
uint64_t ref_sum(uint64_t sum, const uint8_t* p, size_t n);
uint16_t ref_fold_not(uint64_t sum);
// The checksum field's value (as a host-order number of its two bytes) for the L4 segment `l4` of `len`
// bytes, pseudo header included, with the field at `ck_off` taken as zero. UDP's computed 0 is 0xffff.
uint16_t ref_l4(uint8_t family, const uint8_t* src, const uint8_t* dst, uint8_t proto, const uint8_t* l4, size_t len,
                size_t ck_off);
// The IPv4 header checksum of `hdr` (`len` bytes, its checksum field taken as zero).
uint16_t ref_ip4(const uint8_t* hdr, size_t len);

// ---- packets, as IP packets (data at the IP header, as the inet hooks hand them over) ----
struct Spec {
  uint8_t family = 4;
  uint8_t proto = IPPROTO_TCP;
  Addr src{};
  Addr dst{};
  uint16_t sport = 0;  // host order
  uint16_t dport = 0;
  uint8_t flags = kTcpAck;
  uint8_t doff_low = 0;          // the low four bits of the TCP data-offset byte (AccECN's AE is bit 0)
  std::vector<uint8_t> tcp_opts;  // a multiple of 4 bytes
  std::vector<uint8_t> ip_opts;   // IPv4 only, a multiple of 4 bytes
  std::vector<uint8_t> payload;
  uint16_t frag = 0;     // IPv4 flags and fragment offset, host order
  bool udp_nocsum = false;  // IPv4 UDP without a checksum (0)
  uint32_t seq = 0x11223344;
  uint32_t ack = 0x55667788;
  uint8_t ext_hdr_len = 0;  // IPv6: a hop-by-hop header of this many bytes (8, 16, ...) before the L4 header
};
// A valid packet: IPv4 header checksum and L4 checksum from the reference.
std::vector<uint8_t> build(const Spec& s);
uint16_t l3_len_of(const Spec& s);

// TCP option helpers.
std::vector<uint8_t> opt_mss(uint16_t mss);
// MSS, SACK permitted, timestamps, NOP, window scale: Linux's SYN, 20 bytes.
std::vector<uint8_t> linux_syn_opts(uint16_t mss = 1460);
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts);
std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n);
// Sets the last payload word of `s` (a TCP or UDP spec with an even payload of at least two bytes) so that
// the sum over its L4 segment and pseudo header is 0xffff: its checksum computes to 0 (UDP then sends 0xffff).
void make_sum_ffff(Spec& s);

// ---- mbufs ----
rte_mempool* pool();
struct MbufFree {
  void operator()(rte_mbuf* m) const { rte_pktmbuf_free(m); }
};
using Mbuf = std::unique_ptr<rte_mbuf, MbufFree>;
// From the pool, with the pool's headroom in front of the data (as a received packet has).
Mbuf pool_mbuf(const std::vector<uint8_t>& bytes, uint16_t l3_len);
// A pool mbuf whose data lives in a heap buffer of exactly `headroom` + bytes.size(): ASan reports any access
// past data_len (behind a pool mbuf's data there are kilobytes of its own buffer, which ASan can not see).
Mbuf tight_mbuf(const std::vector<uint8_t>& bytes, uint16_t l3_len, uint16_t headroom = 0);
enum class Layout { pool, tight };
Mbuf make_mbuf(Layout layout, const std::vector<uint8_t>& bytes, uint16_t l3_len);
std::vector<uint8_t> bytes_of(const rte_mbuf* m);
// A built packet in a pool mbuf, parsed as the path parses it (a flow, or the test fails).
struct Pkt {
  Mbuf m;
  PacketView v;
  FlowKey k;
};
Pkt packet(const Spec& s);

// ---- decoding what came out ----
struct Decoded {
  uint8_t family = 0;
  uint16_t l3_len = 0;
  uint8_t proto = 0;
  Addr src{};
  Addr dst{};
  uint16_t sport = 0;  // host order
  uint16_t dport = 0;
  uint16_t l4_len = 0;  // from the IP header's length
  uint16_t ip_len_field = 0;  // IPv4 total length or IPv6 payload length
  unsigned tcp_hlen = 0;
  uint8_t doff_byte = 0;
  uint8_t flags = 0;
  std::vector<uint8_t> tcp_opts;
  std::vector<uint8_t> payload;
  uint16_t csum = 0;      // the L4 checksum field
  uint16_t ref_csum = 0;  // what the reference computes for this packet
};
Decoded decode(const std::vector<uint8_t>& pkt);
// Judges a rewritten packet against what it was: the tuple (addresses in the family's length, ports in host
// order), the reference L4 checksum, and payload, options and flags untouched. (The IPv4 header checksum is
// Inet::output's, after the hook.)
void check_rewritten(const std::vector<uint8_t>& before, const Decoded& d, const Addr& src, uint16_t sport,
                     const Addr& dst, uint16_t dport);

// The TCP option of `kind` reachable by a receiver's walk over `opts` (stopping at EOL, as Linux and the toa
// modules do), or an empty vector.
std::vector<uint8_t> find_option(const std::vector<uint8_t>& opts, uint8_t kind);

// ---- one FullNAT connection's four endpoints ----
struct Endpoints {
  uint8_t family;
  Addr caddr, vaddr, laddr, daddr;
  uint16_t cport, vport, lport, dport;  // host order
};
Endpoints endpoints(uint8_t family);
// A connection for `e` (ports in network order, as Conn keeps them).
void fill_conn(Conn& c, const Endpoints& e, uint8_t proto);
// A packet of the connection, client -> VIP (inbound) or real server -> local address (outbound).
Spec client_to_vip(const Endpoints& e, uint8_t proto);
Spec server_to_laddr(const Endpoints& e, uint8_t proto);

// ---- the connection core without the daemon ----
// IpvsDataplane takes an inet::Inet, which takes a netif::Netif over a netif::Dataplane: all three are only
// constructed (they hold references until their own init, which never runs), so nothing here needs ports,
// lcores, a runtime or a bus. One worker: nothing asks inet for local addresses or another worker's ring.
class Core {
 public:
  explicit Core(uint32_t conn_max = 64, uint16_t port_min = 2000, uint16_t port_max = 2003);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // A FullNAT service on `e`'s VIP with one real server (e's), e's local address in its group, in slot 3.
  WorkerService& add_service(const Endpoints& e, uint8_t proto, bool toa = true,
                             ForwardMethod method = ForwardMethod::fullnat);
  uint16_t laddr_id() const { return 7; }

  std::unique_ptr<netif::Dataplane> ndp;
  std::unique_ptr<netif::Netif> nif;
  std::unique_ptr<inet::Inet> inet;
  ServiceManager sm{nullptr, 1};
  ConnSettings settings{ConnTimeouts{}, 64, 1};
  std::unique_ptr<IpvsDataplane> dp;
  LocalPortPool ports;
  std::unique_ptr<LocalPortPool::Entry> entry;
  std::unique_ptr<WorkerService> svc;
  WorkerServices services{16};
  LcoreIpvs L;
  core::TimerWheel wheel;  // after L: the connections' timers go with L's table, never touched again
};

uint64_t ctr(const LcoreIpvs& L, DpCtr c);

}  // namespace dptest
}  // namespace fulcrum::ipvs
