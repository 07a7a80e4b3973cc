#pragma once
// Virtual services and their real servers as the control path describes them: the values that the in-process
// API (ServiceManager), the TOML config and, later, the sockopt bridge for stock ipvsadm/keepalived exchange.
// Pure C++, no DPDK.
//
// The semantics are the kernel's IPVS (ip_vs_ctl.c): the same flag bits, the same forwarding-method values in
// a dest's conn_flags, and the same errno for each refusal, because the bridge passes them to the tools as
// they are (keepalived, for one, tolerates EEXIST on add and ENOENT on delete, and turns an EDITDEST that
// fails with ENOENT into an ADDDEST).

#include <cstdint>
#include <optional>
#include <string>

#include "fulcrum/ipvs/dest.hpp"
#include "fulcrum/ipvs/scheduler.hpp"

namespace fulcrum::ipvs {

// IPPROTO_* values, as ip_vs_service_user carries them.
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoSctp = 132;

// The kernel's IP_VS_CONN_F_* forwarding values (the low bits of ip_vs_dest_user.conn_flags). FullNAT is a
// Fulcrum extension and takes DPVS's value, which no stock tool can send. The kernel's "local" (1) has no
// meaning in a balancer without a local stack and is refused.
// SNAT (DPVS's value too) is no real server's method: only an SNAT rule's connections (snat_rule.hpp) have it.
enum class ForwardMethod : uint8_t { masq = 0, tunnel = 2, droute = 3, fullnat = 5, snat = 6 };

// The kernel's IP_VS_SVC_F_* service flags. kSchedFallback and kSchedPort (SCHED1, SCHED2) are in
// scheduler.hpp; HASHED is the kernel's own bookkeeping and never stored.
inline constexpr uint32_t kSvcPersistent = 0x0001;
inline constexpr uint32_t kSvcHashed = 0x0002;
inline constexpr uint32_t kSvcOnePacket = 0x0004;
inline constexpr uint32_t kSvcSched3 = 0x0020;

// The kernel's IP_VS_SCHEDNAME_MAXLEN: a name must fit with its terminating zero.
inline constexpr size_t kSchedNameMax = 16;

// What finds a service: (protocol, family, VIP, port). Fwmark services are not supported.
struct ServiceKey {
  uint8_t protocol = kProtoTcp;
  Family family = Family::v4;
  IpAddr addr;        // only the first addr_len(family) bytes count; the rest must be zero
  uint16_t port = 0;  // network byte order; 0 is the kernel's catch-all port of the VIP
  bool operator==(const ServiceKey&) const = default;
};

struct ServiceSpec {
  ServiceKey key;
  std::string scheduler = "wlc";  // a registered name, or "none": the service takes no new connections
  SchedConfig sched;              // its flags are ignored: the scheduler gets `flags` below, as in the kernel
  uint32_t flags = 0;             // kSvcPersistent | kSvcOnePacket | kSchedFallback | kSchedPort | kSvcSched3
  uint32_t timeout_s = 0;         // persistence timeout (with kSvcPersistent)
  // Persistence granularity. IPv4: a netmask in host order (contiguous); IPv6: a prefix length, 1 to 128.
  // Unset: a single address (255.255.255.255 or 128).
  std::optional<uint32_t> netmask;
  // The forwarding method of real servers that do not name their own (config); the bridge will also read it
  // to run a service that keepalived declares as NAT as FullNAT.
  ForwardMethod forward = ForwardMethod::masq;
  // FullNAT: the client's address and port ride in a TCP option (TOA) on the SYN and the first ACK that reach
  // the real server. A Fulcrum extension; the kernel's structs cannot say it.
  bool toa = true;
};

struct DestSpec {
  DestId id;                  // same family as the service
  int32_t weight = 1;         // 0 to kMaxWeight; a negative weight is the kernel's ERANGE
  uint32_t u_threshold = 0;   // 0: none
  uint32_t l_threshold = 0;   // must not exceed u_threshold (the kernel's rule, even when that is 0)
  ForwardMethod forward = ForwardMethod::masq;
};

// A service's or a real server's traffic, summed over the workers.
struct Stats {
  uint64_t conns = 0;
  uint64_t inpkts = 0;
  uint64_t outpkts = 0;
  uint64_t inbytes = 0;
  uint64_t outbytes = 0;
  Stats& operator+=(const Stats& o) {
    conns += o.conns;
    inpkts += o.inpkts;
    outpkts += o.outpkts;
    inbytes += o.inbytes;
    outbytes += o.outbytes;
    return *this;
  }
  bool operator==(const Stats&) const = default;
};

struct ServiceInfo {
  ServiceSpec spec;  // netmask filled in
  uint32_t num_dests = 0;
  Stats stats;
};

struct DestInfo {
  DestSpec spec;
  uint32_t activeconns = 0;  // summed over the workers
  uint32_t inactconns = 0;
  Stats stats;
};

// 0, or an errno value and one line for the operator that names the field and the value.
struct Status {
  int err = 0;
  std::string msg;
  bool ok() const { return err == 0; }
  static Status fail(int e, std::string m) { return Status{e, std::move(m)}; }
};

// "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53".
std::string to_string(const ServiceKey& key);
// "fullnat", "nat", "dr", "tun": the config's words.
const char* to_string(ForwardMethod m);
std::optional<ForwardMethod> forward_method_from_conn_flags(uint32_t conn_flags);
const char* protocol_name(uint8_t protocol);
// The persistence netmask the service uses when `netmask` is unset.
uint32_t default_netmask(Family f);

}  // namespace fulcrum::ipvs
