#pragma once
// What ipvsadm lists and changes, independent of the wire: a service, a real server ("dest") and their
// counters, for either address family. The daemon's replies (ipvs_api.cpp) and the tests fill these in; the
// listing code (listing.cpp) prints them the way stock ipvsadm 1.31 does.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace fulcrum::ipvsadm {

// 4 or 6 (0: not set), and the address in network order; an IPv4 address fills the first 4 bytes.
struct Addr {
  uint8_t family = 0;
  std::array<uint8_t, 16> bytes{};

  bool operator==(const Addr&) const = default;
};

// The kernel's IP_VS_CONN_F_* forwarding methods, and FullNAT with DPVS's value.
// fwd_snat: an SNAT rule's connection (never a real server's method), DPVS's value.
enum Forward : uint32_t { fwd_masq = 0, fwd_local = 1, fwd_tunnel = 2, fwd_droute = 3, fwd_fullnat = 5, fwd_snat = 6 };

// The kernel's IP_VS_SVC_F_* service flags.
enum ServiceFlag : uint32_t {
  svc_persistent = 0x0001,
  svc_onepacket = 0x0004,
  svc_sched1 = 0x0008,
  svc_sched2 = 0x0010,
  svc_sched3 = 0x0020,
};
constexpr uint32_t kSchedFlagMask = svc_sched1 | svc_sched2 | svc_sched3;

// IPPROTO_* values, spelled out so that the tests need no system header.
constexpr uint16_t kProtoTcp = 6;
constexpr uint16_t kProtoUdp = 17;
constexpr uint16_t kProtoSctp = 132;

// Totals and rates as the daemon's 64-bit extension reports them (the kernel's sockopt structs carry 32-bit
// packet and connection counts).
struct Stats {
  uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;
  uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;
};

struct Dest {
  Addr addr;
  uint16_t port = 0;  // host order
  uint32_t forward = fwd_droute;
  int32_t weight = 1;
  uint32_t u_threshold = 0;
  uint32_t l_threshold = 0;
  uint32_t activeconns = 0;
  uint32_t inactconns = 0;
  uint32_t persistconns = 0;
  Stats stats;
};

struct Service {
  uint16_t protocol = kProtoTcp;
  Addr addr;
  uint16_t port = 0;    // host order
  uint32_t fwmark = 0;  // never set by fulcrumd, which has no fwmark services; kept for the stock formats
  std::string sched;
  uint32_t flags = 0;
  uint32_t timeout = 0;
  // IPv4: the persistence netmask in host order (0xffffffff: one client address); IPv6: a prefix length.
  uint32_t netmask = 0xffffffff;
  uint32_t forward = fwd_masq;  // Fulcrum's binding: fwd_fullnat makes masquerading real servers FullNAT
  bool toa_off = false;         // FullNAT sends no TOA option to the real servers
  uint32_t num_dests = 0;
  uint32_t num_laddrs = 0;
  Stats stats;
  std::vector<Dest> dests;
  std::vector<Addr> laddrs;  // FullNAT's local-address group; filled in for -S only
};

// A VIP's binding (fulcrumd's [[vip_binding]]): what every service created on the VIP takes, stock
// keepalived's included.
struct VipBinding {
  Addr vip;
  uint32_t forward = fwd_fullnat;  // what its services' masquerading real servers become
  bool toa_off = false;
  std::vector<Addr> laddrs;  // the local-address group its services start with
};

// An SNAT rule of fulcrumd's config ([[snat]]).
struct SnatRule {
  Addr source;  // the network; its family is the rule's
  unsigned prefix = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP, IPPROTO_UDP, or 0: both
  uint16_t dport_min = 0;
  uint16_t dport_max = 65535;
  std::vector<Addr> laddrs;  // the pool
};

}  // namespace fulcrum::ipvsadm
