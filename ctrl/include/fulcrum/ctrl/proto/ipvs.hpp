#pragma once
// ipvs service messages: the kernel's IPVS sockopt structs, carried as they are on ids 1152-1167, and the
// extension messages for what those structs cannot say (IPv6, FullNAT, local-address groups, 64-bit stats
// with rates), on ids kIpvsFirst+1 .. kIpvsFirst+0xff. The dataplane's own views (connections, counters,
// per-worker local addresses) are in ipvs_conn.hpp.
//
// ---- The kernel's sockopt messages (ids 1152-1167) ----
// The frame's id is the optname, its kind get or set, its payload the <linux/ip_vs.h> struct exactly as the
// kernel takes it from setsockopt/getsockopt (the kernel's exact-length rules apply, EINVAL otherwise). A
// get's payload is the caller's buffer as sent (its length is the optlen; GET_SERVICE and GET_DESTS read
// their query from it); the reply payload is what the kernel writes back into that buffer, never longer than
// the request. The errno values are the kernel's (see ipvs/README.md, "Sockopt bridge"). Those structs speak
// IPv4 only: GET_INFO and GET_SERVICES count and list only IPv4 services. In GET_DESTS a FullNAT real server
// shows as masq (conn_flags 0): stock ipvsadm prints an unknown method as "(null)", which its -R refuses.
// The extension messages below show every method as it is.
//
// ---- Extension messages (this namespace) ----
// Fixed-size, host-order POD records. Every request starts with `version` (kVersion; anything else is
// EPROTO); lists start with a ListHead whose version the tools check. Addresses travel as 16 bytes in network
// order with a family of 4 or 6 (an IPv4 address fills the first 4 bytes, the rest zero); ports in network
// order. A change is in force on every worker when the reply comes.
//
// Errors (status, with a message that names the field and value): EPROTO wrong version; EINVAL a bad field
// (family, scheduler name not terminated, forwarding method, netmask, flags, threshold order...); EFAULT a
// protocol other than TCP/UDP/SCTP (the kernel's value); ESRCH no such service; EEXIST the service, dest or
// local address exists; ENOENT unknown scheduler, no such dest or local address; ERANGE negative weight or
// l_threshold > u_threshold; EAFNOSUPPORT a dest or local address of another family than its service;
// ENOSPC a table is full; ETIMEDOUT a worker did not take the change in time (it still will).

#include <cstdint>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl::ipvs_msg {

// The id ranges the ipvs layer claims for this file (the dataplane's ipvs_conn.hpp has kIpvsFirst+0x100 on).
constexpr uint32_t kExtFirst = ids::kIpvsFirst + 1;
constexpr uint32_t kExtLast = ids::kIpvsFirst + 0xff;

// get, VersionQuery -> Info
constexpr uint32_t kGetInfo = ids::kIpvsFirst + 1;
// get, ListQuery -> ListHead + ServiceEntry[count]: services of both families (or one), in the order they
// were added, from `offset` on.
constexpr uint32_t kGetServices = ids::kIpvsFirst + 2;
// get, ServiceKeyQuery -> ListHead (count 1, total 1) + ServiceEntry; ESRCH
constexpr uint32_t kGetService = ids::kIpvsFirst + 3;
// set, ServiceReq -> empty. ENOENT unknown scheduler, EEXIST.
constexpr uint32_t kAddService = ids::kIpvsFirst + 4;
// set, ServiceReq -> empty; every field of the request replaces the service's. ESRCH, ENOENT.
constexpr uint32_t kEditService = ids::kIpvsFirst + 5;
// set, ServiceKeyQuery -> empty: the service, its dests and its local-address group go. ESRCH.
constexpr uint32_t kDelService = ids::kIpvsFirst + 6;
// get, DestQuery -> ListHead + DestEntry[count]: the service's dests in the order they were added, from
// `offset` on. ESRCH.
constexpr uint32_t kGetDests = ids::kIpvsFirst + 7;
// set, DestReq -> empty. ESRCH, EEXIST, ERANGE, EAFNOSUPPORT.
constexpr uint32_t kAddDest = ids::kIpvsFirst + 8;
// set, DestReq -> empty. ESRCH, ENOENT, ERANGE.
constexpr uint32_t kEditDest = ids::kIpvsFirst + 9;
// set, DestReq (only the dest's family, addr and port are read) -> empty. ESRCH, ENOENT.
constexpr uint32_t kDelDest = ids::kIpvsFirst + 10;
// set, ZeroReq -> empty: one service's counters and its dests', or (all = 1) every counter. ESRCH.
constexpr uint32_t kZero = ids::kIpvsFirst + 11;
// set, LaddrReq -> empty: a local address joins the service's FullNAT local-address group.
// ESRCH, EEXIST, EAFNOSUPPORT, EINVAL (not unicast), ENOSPC.
constexpr uint32_t kAddLaddr = ids::kIpvsFirst + 12;
// set, LaddrReq -> empty. ESRCH, ENOENT.
constexpr uint32_t kDelLaddr = ids::kIpvsFirst + 13;
// get, ServiceKeyQuery -> ListHead + LaddrAddr[count], in the order they were added. ESRCH.
constexpr uint32_t kGetLaddrs = ids::kIpvsFirst + 14;
// get, VersionQuery -> ListHead (count = total = the bindings) + for each binding a VipBindingEntry followed by
// its num_laddrs LaddrAddr: the per-VIP bindings of the config ([[vip_binding]]), in the order they were set.
constexpr uint32_t kGetVipBindings = ids::kIpvsFirst + 15;
// get, VersionQuery -> ListHead (count = total = the rules) + for each rule a SnatRuleEntry followed by its
// num_laddrs LaddrAddr: the SNAT rules of the config ([[snat]]), in match order.
constexpr uint32_t kGetSnatRules = ids::kIpvsFirst + 16;

constexpr uint32_t kVersion = 1;
constexpr unsigned kAddrSize = 16;
constexpr unsigned kSchedNameSize = 16;  // IP_VS_SCHEDNAME_MAXLEN, the terminating zero included
// Entries in one list reply at most; a longer list takes several requests (offset = previous offset + count).
constexpr uint32_t kMaxEntriesPerPage = 16384;

enum Family : uint8_t { family_any = 0, family_v4 = 4, family_v6 = 6 };

// The forwarding methods: the kernel's IP_VS_CONN_F_* values (the low bits of ip_vs_dest_user.conn_flags),
// and FullNAT with DPVS's value. The kernel's "local" (1) is refused (EINVAL).
enum Forward : uint8_t { fwd_masq = 0, fwd_tunnel = 2, fwd_droute = 3, fwd_fullnat = 5 };

// The kernel's IP_VS_SVC_F_* bits, as ServiceReq.flags takes them.
enum ServiceFlags : uint32_t {
  svc_persistent = 0x0001,
  svc_onepacket = 0x0004,
  svc_sched1 = 0x0008,  // sh-fallback / mh-fallback
  svc_sched2 = 0x0010,  // sh-port / mh-port
  svc_sched3 = 0x0020,
};

// What finds a service.
struct ServiceKey {
  uint8_t protocol;  // IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_SCTP 132
  uint8_t family;    // 4 or 6
  uint16_t port;     // network order; 0 is the kernel's catch-all port of the VIP
  uint8_t addr[kAddrSize];
};
static_assert(sizeof(ServiceKey) == 20);

struct VersionQuery {
  uint32_t version;
};
static_assert(sizeof(VersionQuery) == 4);

struct Info {
  uint32_t version;
  uint32_t conn_table_size;  // connections the balancer can hold, all workers together
  uint32_t services;         // of both families
  uint32_t services_v4;
  uint32_t services_v6;
  uint32_t workers;
};
static_assert(sizeof(Info) == 24);

struct ListQuery {
  uint32_t version;
  uint8_t family;  // Family; family_any: both
  uint8_t reserved[3];
  uint32_t offset;  // index of the first entry wanted
  uint32_t max;     // 0: up to kMaxEntriesPerPage
};
static_assert(sizeof(ListQuery) == 16);

struct ListHead {
  uint32_t version;  // kVersion
  uint32_t count;    // entries that follow
  uint32_t total;    // entries the whole list holds
  uint32_t offset;   // index of the first entry that follows
};
static_assert(sizeof(ListHead) == 16);

struct ServiceKeyQuery {
  uint32_t version;
  ServiceKey key;
};
static_assert(sizeof(ServiceKeyQuery) == 24);

struct ServiceReq {
  uint32_t version;
  ServiceKey key;
  char sched_name[kSchedNameSize];  // NUL-terminated: "wlc", "rr", ...; "none" takes no new connections
  uint32_t flags;                   // ServiceFlags
  uint32_t timeout_s;               // persistence timeout (with svc_persistent)
  // Persistence granularity, with has_netmask = 1: IPv4 a netmask in host order (contiguous), IPv6 a prefix
  // length 1-128. has_netmask = 0: a single address (255.255.255.255 or 128).
  uint32_t netmask;
  uint8_t has_netmask;
  // The forwarding method for dests that the stock tools add with "masq" (0): fwd_fullnat makes a service
  // that keepalived declares with lb_kind NAT run as FullNAT. fwd_masq: dests keep what they ask for.
  uint8_t forward;
  // FullNAT: 0 sends the client's address and port to the real server in a TCP option (TOA, the default);
  // 1 does not.
  uint8_t toa_off;
  uint8_t reserved;
};
static_assert(sizeof(ServiceReq) == 56);

struct DestQuery {
  uint32_t version;
  ServiceKey key;
  uint32_t offset;
  uint32_t max;  // 0: up to kMaxEntriesPerPage
};
static_assert(sizeof(DestQuery) == 32);

struct DestReq {
  uint32_t version;
  ServiceKey key;
  uint8_t addr[kAddrSize];
  uint16_t port;    // network order
  uint8_t family;   // must be the service's
  uint8_t forward;  // Forward
  int32_t weight;   // 0-65535; negative is ERANGE, as in the kernel
  uint32_t u_threshold;  // 0: none
  uint32_t l_threshold;  // must not exceed u_threshold
};
static_assert(sizeof(DestReq) == 56);

struct ZeroReq {
  uint32_t version;
  uint32_t all;  // 1: every service and dest, key ignored
  ServiceKey key;
};
static_assert(sizeof(ZeroReq) == 28);

struct LaddrReq {
  uint32_t version;
  ServiceKey key;
  uint8_t family;  // must be the service's
  uint8_t reserved[3];
  uint8_t addr[kAddrSize];
};
static_assert(sizeof(LaddrReq) == 44);

// Totals since the last zero, summed over the workers, and the kernel estimator's rates (ip_vs_est.c: a
// sample every 2 s, smoothed): per second, bytes per second for the *bps rates.
struct StatsRates {
  uint64_t conns;
  uint64_t inpkts;
  uint64_t outpkts;
  uint64_t inbytes;
  uint64_t outbytes;
  uint64_t cps;
  uint64_t inpps;
  uint64_t outpps;
  uint64_t inbps;
  uint64_t outbps;
};
static_assert(sizeof(StatsRates) == 80);

struct ServiceEntry {
  ServiceKey key;
  char sched_name[kSchedNameSize];
  uint32_t flags;
  uint32_t timeout_s;
  uint32_t netmask;  // IPv4: netmask in host order; IPv6: prefix length (always filled in)
  uint8_t forward;   // as ServiceReq.forward
  uint8_t toa_off;   // as ServiceReq.toa_off
  uint8_t reserved[2];
  uint32_t num_dests;
  uint32_t num_laddrs;
  uint32_t reserved2;
  StatsRates stats;
};
static_assert(sizeof(ServiceEntry) == 144);

struct DestEntry {
  uint8_t addr[kAddrSize];
  uint16_t port;
  uint8_t family;
  uint8_t forward;  // Forward
  uint32_t weight;
  uint32_t u_threshold;
  uint32_t l_threshold;
  uint32_t activeconns;  // summed over the workers
  uint32_t inactconns;
  uint32_t persistconns;  // persistence templates (0 until the connection layer counts them)
  uint32_t reserved;
  StatsRates stats;
};
static_assert(sizeof(DestEntry) == 128);

struct LaddrAddr {
  uint8_t family;
  uint8_t reserved[3];
  uint8_t addr[kAddrSize];
};
static_assert(sizeof(LaddrAddr) == 20);

// A VIP's binding: what every service created on the VIP takes (FullNAT for its masq dests, the local-address
// group, TOA). num_laddrs LaddrAddr records follow it.
struct VipBindingEntry {
  uint8_t family;   // 4 or 6
  uint8_t forward;  // Forward: fwd_fullnat
  uint8_t toa_off;  // as ServiceReq.toa_off
  uint8_t reserved;
  uint8_t vip[kAddrSize];
  uint32_t num_laddrs;
};
static_assert(sizeof(VipBindingEntry) == 24);

// An SNAT rule: the flows it takes (source network, protocol, destination ports) and its pool, whose
// num_laddrs LaddrAddr records follow it.
struct SnatRuleEntry {
  uint8_t family;    // 4 or 6
  uint8_t prefix;    // of `source`
  uint8_t protocol;  // IPPROTO_TCP, IPPROTO_UDP, or 0: both
  uint8_t reserved;
  uint8_t source[kAddrSize];
  uint16_t dport_min;  // host order, inclusive
  uint16_t dport_max;
  uint32_t num_laddrs;
};
static_assert(sizeof(SnatRuleEntry) == 28);

}  // namespace fulcrum::ctrl::ipvs_msg
