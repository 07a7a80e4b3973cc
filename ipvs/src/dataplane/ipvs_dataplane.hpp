#pragma once
// The ipvs packet path: hooked into ipv4 and ipv6 at pre-routing (and at local-in, which sees reassembled
// packets), it finds each packet's connection in its worker's table, or makes one for a packet that opens a
// flow to a virtual service, keeps the connection's state, timer and counters, and hands the packet to the
// forwarding method's module, then to Inet::output.
//
// Replies of a FullNAT connection are addressed to a local port that names the worker owning the connection
// (LocalPortPool::owner_of). Ports here have no rte_flow, so a reply can arrive at any worker: one that is
// not the owner passes it over the owner's ring, and the owner runs it through the same path.
// NAT replies carry no port of ours, and persistence wants a client's connections together: those flows are
// owned by the worker of the client's address instead (nat_steer.hpp) and passed the same way.
//
// Threads: init and the control handlers on the master; everything else on the workers, each on its own
// LcoreIpvs, without locks or allocation.

#include <array>
#include <memory>
#include <vector>

#include <rte_lcore.h>

#include "conn/tcp_state.hpp"
#include "forward.hpp"
#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/core/module.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/ipvs_config.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "lcore_ipvs.hpp"

namespace fulcrum::ipvs {

// Bus message ids (the layer owns 180-199; the services use 180-182).
inline constexpr uint16_t kMsgConnDump = 183;

class IpvsDataplane {
 public:
  IpvsDataplane(inet::Inet& inet, ServiceManager& services, ConnSettings& settings, const IpvsSettings& cfg);
  ~IpvsDataplane();
  IpvsDataplane(const IpvsDataplane&) = delete;
  IpvsDataplane& operator=(const IpvsDataplane&) = delete;

  // Before the lcores run: the workers' tables and rings, hooks, jobs, timers, bus messages, control handlers.
  void init(core::ModuleContext& ctx);
  // After the lcores stopped.
  void stop();

  // ---- for the control path (dp_control.cpp) ----
  unsigned workers() const { return static_cast<unsigned>(by_worker_.size()); }
  const LcoreIpvs& worker(unsigned i) const { return *by_worker_[i]; }

  // ---- packet path ----
  LcoreIpvs* lcore() {
    const unsigned id = rte_lcore_id();
    return id < RTE_MAX_LCORE ? by_lcore_[id] : nullptr;
  }
  // Runs the path over a burst of one family; verdicts[i] says what became of pkts[i] (accept: not ours).
  void process(LcoreIpvs& L, inet::Family f, rte_mbuf** pkts, uint16_t n, inet::Verdict* verdicts);
  // Seconds to ticks of the worker's timer wheel.
  uint32_t ticks(uint32_t seconds) const { return static_cast<uint32_t>(uint64_t{seconds} * 1'000'000 / tick_us_); }
  // The timeout of a connection in its current state.
  uint32_t timeout_s(const Conn& c) const;
  // Ticks until the connection expires: its timeout in its state from its last packet; 0 when it is due.
  uint32_t ticks_left(const LcoreIpvs& L, const Conn& c) const;
  // Frees a connection: its dest's counters, its local port, its table entry (the expiry callback).
  void release(LcoreIpvs& L, Conn& c);

 private:
  friend struct DpControl;
  friend struct DataplaneTestAccess;  // test/unit/ipvs/dataplane_test_util.hpp: the path's private steps
  struct ConnDumpMsg {
    void* out;  // ctrl_ipvs ConnEntry[max], the master's, alive until the call returns
    uint32_t cursor;
    uint32_t max;
  };
  struct ConnDumpReply {
    uint32_t count;
    uint32_t next_cursor;
    uint32_t total;
  };
  static void hook(void* self, inet::HookBurst& b);
  static uint32_t redirect_job(void* self);
  static void on_expire(core::Timer* t, void* ctx);
  static int on_conn_dump(IpvsDataplane* self, const ConnDumpMsg& msg, ConnDumpReply& reply);

  // conn_path.cpp
  Conn* on_miss(LcoreIpvs& L, rte_mbuf* m, PacketView& v, const FlowKey& k, inet::Verdict* verdict);
  Conn* create(LcoreIpvs& L, WorkerService& svc, DestIndex di, const FlowKey& k, rte_mbuf* m);
  // A free entry, or null with the table-full drop counted and logged.
  Conn* alloc_conn(LcoreIpvs& L);
  // conn_life.cpp: a free local port of one of `ids` (n of them), trying them from the start-th on; the
  // address, its id and the port (host order), or null when every one is exhausted.
  static const LocalAddress* take_local_port(LocalPortPool& pool, const uint16_t* ids, size_t n, size_t start,
                                             uint16_t* id, uint16_t* port, size_t* taken_at);
  // snat.cpp: a flow to no service that an SNAT rule takes (not to one of our own addresses): its new
  // connection, or null (*verdict: drop when the rule took it but could not make one; untouched otherwise).
  Conn* snat_miss(LcoreIpvs& L, const PacketView& v, const FlowKey& k, inet::Verdict* verdict);
  // snat.cpp: the connection of `rule` for `k`, from a port of the rule's pool; null (counted) when none.
  Conn* snat_create(LcoreIpvs& L, const SnatMatch& rule, const FlowKey& k);
  // `route`: where an Egress::to_dest packet must go (its mtu stays 0 for the others, which go by Inet::output).
  bool forward(LcoreIpvs& L, Conn& c, ConnDir dir, rte_mbuf* m, PacketView& v, EgressRoute* route = nullptr);
  // dest_egress.cpp: DR and TUN. The route towards the connection's real server, after the MTU check (a too
  // big packet is answered and dropped: false); and the send along it.
  bool route_to_dest(LcoreIpvs& L, const Conn& c, const ForwardOps& ops, rte_mbuf* m, const PacketView& v,
                     EgressRoute* r);
  void send_to_dest(inet::Family f, const EgressRoute& r, rte_mbuf* m);
  // An ICMP error about a DR / TUN connection's reply, passed to its real server the method's way.
  inet::Verdict icmp_to_dest(LcoreIpvs& L, Conn& c, const ForwardOps& ops, ConnDir dir, rte_mbuf* m, PacketView& v);
  // nat_steer.cpp: with several workers, passes a packet of a NAT or persistent flow that is another
  // worker's (nat_steer.hpp) to that worker; true when it did (or dropped it: *verdict says which).
  bool steer(LcoreIpvs& L, rte_mbuf* m, const FlowKey& k, const WorkerService* svc, inet::Verdict* verdict);
  bool redirect(LcoreIpvs& L, rte_mbuf* m, unsigned owner);
  // A pure SYN to a connection that has closed (TIME_WAIT, CLOSE): the start of a new one.
  static bool is_reused_port(const Conn& c, const PacketView& v);
  // tcp_reset.cpp: a RST for a segment to a service that has no connection.
  void send_reset(LcoreIpvs& L, const PacketView& v);
  // Whether `addr` is one of our FullNAT local addresses: what a reply of another worker's connection is to.
  bool is_fnat_local(uint8_t family, const uint8_t* addr);
  // Whether `addr` is any address of ours: SNAT never takes a flow to the balancer itself.
  bool is_local(uint8_t family, const uint8_t* addr);
  // icmp_relay.cpp: an ICMP error about one of our connections, translated for the other side.
  inet::Verdict on_icmp(LcoreIpvs& L, rte_mbuf* m, PacketView& v, rte_mbuf** out, unsigned* n_out);

  inet::Inet& inet_;
  ServiceManager& services_;
  ConnSettings& settings_;
  IpvsSettings cfg_;
  uint32_t tick_us_ = 1000;
  TcpTimeouts tcp_timeouts_;
  std::vector<std::unique_ptr<LcoreIpvs>> by_worker_;
  std::array<LcoreIpvs*, RTE_MAX_LCORE> by_lcore_{};
  std::vector<rte_ring*> rings_;  // by worker index
  std::optional<core::MsgType<ConnDumpMsg, ConnDumpReply>> dump_msg_;
  core::MessageBus* bus_ = nullptr;
};

// dp_control.cpp: ctrl/proto/ipvs_conn.hpp's messages, in the "ipvs" range the module claimed.
void register_dataplane_handlers(ctrl::Registry& reg, IpvsDataplane& dp);

}  // namespace fulcrum::ipvs
