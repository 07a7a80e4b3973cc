#pragma once
// inet messages (the ipv4 and ipv6 layers): addresses, routes, neighbours, `route get` on every worker, the
// layer's settings and counters, and a dataplane ping. Fixed-size, host-order POD records; lists start with a
// ListHead whose version the tools check.
//
// Addresses travel as 16 bytes in network order with a family of 4 or 6; an IPv4 address fills the first 4
// bytes and the rest are zero. Device names are NUL-terminated, as IFNAMSIZ.
//
// Errors: EINVAL (a bad value; the message names it), ENODEV (no such device), EEXIST, ESRCH (no such route),
// EADDRNOTAVAIL (no such address), ENOENT (no such neighbour), ENOSPC (a table is full), ETIMEDOUT (a worker did
// not take the change in time: it still will, when it polls its inbox).

#include <cstdint>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl::inet_msg {

// get, AddrQuery -> ListHead + AddrInfo[count]
constexpr uint32_t kGetAddrs = ids::kInetFirst + 1;
// set, AddrSet -> empty. In force on every worker when the reply comes; a gratuitous ARP or an unsolicited NA
// announces the address.
constexpr uint32_t kAddAddr = ids::kInetFirst + 2;
// set, AddrSet (flags ignored) -> empty; EADDRNOTAVAIL when the device does not hold the address.
constexpr uint32_t kDelAddr = ids::kInetFirst + 3;
// get, RouteQuery -> ListHead + RouteInfo[count]
constexpr uint32_t kGetRoutes = ids::kInetFirst + 4;
// set, RouteSet -> empty (RouteSet.replace: add or change)
constexpr uint32_t kAddRoute = ids::kInetFirst + 5;
// set, RouteSet (only family, dst and plen are read) -> empty; ESRCH when there is no such route.
constexpr uint32_t kDelRoute = ids::kInetFirst + 6;
// get, RouteGetQuery -> ListHead + RouteGetResult[one per worker]: each worker's own tables answer.
constexpr uint32_t kRouteGet = ids::kInetFirst + 7;
// get, NeighQuery -> ListHead + NeighInfo[count]
constexpr uint32_t kGetNeighs = ids::kInetFirst + 8;
// set, NeighSet -> empty: a permanent entry (replaces a learnt one)
constexpr uint32_t kAddNeigh = ids::kInetFirst + 9;
// set, NeighSet (mac ignored) -> empty; ENOENT when there is no such entry.
constexpr uint32_t kDelNeigh = ids::kInetFirst + 10;
// set, NeighQuery -> empty: removes every entry that is not permanent (of the family and device, if given).
constexpr uint32_t kFlushNeighs = ids::kInetFirst + 11;
// get, StatsQuery -> StatsHead + uint64_t[counter_count] totals + (per_lcore) LcoreStatsHead + uint64_t[...] each
constexpr uint32_t kGetStats = ids::kInetFirst + 12;
// get, SettingsQuery -> Settings; set, Settings -> empty (only the fields in Settings.mask change)
constexpr uint32_t kGetSettings = ids::kInetFirst + 13;
constexpr uint32_t kSetSettings = ids::kInetFirst + 14;
// set, PingSend -> PingToken: a worker sends one ICMP/ICMPv6 echo request from the dataplane.
constexpr uint32_t kPingSend = ids::kInetFirst + 15;
// get, PingToken -> PingResult: whether the echo reply has come back yet.
constexpr uint32_t kPingResult = ids::kInetFirst + 16;

constexpr uint32_t kListVersion = 1;
constexpr unsigned kNameSize = 16;
constexpr unsigned kAddrSize = 16;

enum Family : uint8_t { family_any = 0, family_v4 = 4, family_v6 = 6 };

struct ListHead {
  uint32_t version;  // kListVersion
  uint32_t count;
};
static_assert(sizeof(ListHead) == 8);

// ---- addresses ----

enum AddrFlags : uint32_t {
  addr_vip = 1,         // a virtual service address of the ipvs layer
  addr_fnat_local = 2,  // a FullNAT local address: the source ipvs uses towards real servers
};

struct AddrQuery {
  uint8_t family;  // Family; family_any: both
  uint8_t reserved[7];
  char ifname[kNameSize];  // empty: every device
};
static_assert(sizeof(AddrQuery) == 24);

struct AddrInfo {
  uint8_t family;
  uint8_t plen;
  uint16_t ifindex;
  uint32_t flags;  // AddrFlags
  uint8_t addr[kAddrSize];
  char ifname[kNameSize];
};
static_assert(sizeof(AddrInfo) == 40);

struct AddrSet {
  uint8_t family;
  uint8_t plen;
  uint8_t reserved[2];
  uint32_t flags;  // AddrFlags
  uint8_t addr[kAddrSize];
  char ifname[kNameSize];
};
static_assert(sizeof(AddrSet) == 40);

// ---- routes ----

enum class RouteProto : uint8_t { kernel = 1, static_route = 2 };  // kernel: connected, from an address

struct RouteQuery {
  uint8_t family;
  uint8_t reserved[7];
};
static_assert(sizeof(RouteQuery) == 8);

struct RouteInfo {
  uint8_t family;
  uint8_t plen;
  uint8_t proto;  // RouteProto
  uint8_t has_gateway;
  uint16_t ifindex;
  uint8_t has_prefsrc;
  uint8_t reserved;
  uint8_t dst[kAddrSize];
  uint8_t gateway[kAddrSize];
  uint8_t prefsrc[kAddrSize];
  char ifname[kNameSize];
};
static_assert(sizeof(RouteInfo) == 72);

struct RouteSet {
  uint8_t family;
  uint8_t plen;
  uint8_t has_gateway;
  uint8_t replace;  // add: 1 changes an existing static route instead of failing with EEXIST
  uint8_t reserved[4];
  uint8_t dst[kAddrSize];
  uint8_t gateway[kAddrSize];
  char ifname[kNameSize];  // empty: the device of the connected route that covers the gateway
};
static_assert(sizeof(RouteSet) == 56);

struct RouteGetQuery {
  uint8_t family;
  uint8_t reserved[7];
  uint8_t addr[kAddrSize];
};
static_assert(sizeof(RouteGetQuery) == 24);

enum class RouteGetKind : uint8_t { local = 1, unicast = 2, unreachable = 3 };

// One worker's answer from its own copy of the tables.
struct RouteGetResult {
  uint32_t lcore;
  uint8_t kind;  // RouteGetKind
  uint8_t has_gateway;
  uint16_t ifindex;    // local: the device holding the address; unicast: the output device
  uint32_t addr_flags;  // local: AddrFlags of the address
  uint16_t mtu;         // unicast: the output device's MTU
  uint8_t has_prefsrc;
  uint8_t reserved;
  uint8_t gateway[kAddrSize];
  uint8_t prefsrc[kAddrSize];  // the source this worker would use
  char ifname[kNameSize];
};
static_assert(sizeof(RouteGetResult) == 64);

// ---- neighbours ----

enum class NeighState : uint8_t { incomplete = 1, reachable = 2, stale = 3, probe = 4, failed = 5, permanent = 6 };
constexpr const char* kNeighStateNames[] = {"NONE", "INCOMPLETE", "REACHABLE", "STALE", "PROBE", "FAILED", "PERMANENT"};

struct NeighQuery {
  uint8_t family;
  uint8_t reserved[7];
  char ifname[kNameSize];
};
static_assert(sizeof(NeighQuery) == 24);

struct NeighInfo {
  uint8_t family;
  uint8_t state;  // NeighState
  uint16_t ifindex;
  uint8_t has_mac;
  uint8_t probes;  // solicitations sent in the current INCOMPLETE or PROBE state
  uint8_t reserved[2];
  uint32_t updated_ms_ago;  // since the entry last changed state or was confirmed
  uint32_t reserved2;
  uint8_t addr[kAddrSize];
  uint8_t mac[6];
  uint8_t reserved3[2];
  char ifname[kNameSize];
};
static_assert(sizeof(NeighInfo) == 56);

struct NeighSet {
  uint8_t family;
  uint8_t reserved[7];
  uint8_t addr[kAddrSize];
  uint8_t mac[6];
  uint8_t reserved2[2];
  char ifname[kNameSize];
};
static_assert(sizeof(NeighSet) == 48);

// ---- counters ----
//
// One list for both families; a few only ever count for one of them (header checksum: IPv4; extension headers:
// IPv6). Names differ where the protocols do: kCounterNames4 / kCounterNames6. New counters go at the end.
enum class Counter : uint16_t {
  in_receives = 0,      // packets the layer got from netif
  in_truncated,         // shorter than the fixed header
  in_bad_version,       // version field is not 4 (6)
  in_bad_header_length, // IPv4 IHL below 5 or beyond the frame
  in_bad_checksum,      // IPv4 header checksum
  in_bad_length,        // total (payload) length below the header or beyond the frame
  in_ttl_zero,          // TTL (hop limit) 0 on arrival
  in_martian_source,    // source is multicast, broadcast, loopback or unspecified
  in_bad_ext_header,    // IPv6 extension header chain malformed or too long
  in_hook_drops,        // dropped by a pre-routing or local-in hook
  in_hook_stolen,       // taken by a hook (ipvs)
  in_delivers,          // delivered to a protocol of ours
  in_to_kernel,         // not ours (or no protocol handler): handed to the kernel
  in_no_protocol,       // of those, local but no protocol registered
  frag_in,              // fragments of packets for us
  frag_reassembled,     // packets rebuilt from them
  frag_dropped,         // fragments dropped: reassembly is off
  frag_failed,          // fragments given up on (table full, timeout, overlap, unsupported header chain)
  fwd_packets,          // forwarded to another device
  fwd_no_route,
  fwd_ttl_exceeded,
  fwd_too_big,          // DF set (IPv6: always) and larger than the output MTU
  fwd_hook_drops,       // dropped by a forward hook
  out_requests,         // packets of our own (echo replies, ICMP errors, ipvs) handed to output
  out_no_route,
  out_hook_drops,       // dropped by a local-out or post-routing hook
  out_fragmented,       // packets split because of the MTU
  out_fragments,        // fragments sent for them
  out_frag_failed,      // could not be split (no mbufs, DF set)
  out_packets,          // handed to netif to send
  neigh_queued,         // waited for address resolution
  neigh_queue_full,     // dropped: too many waiting for one neighbour, or too many neighbours resolving
  neigh_unresolved,     // dropped: resolution failed or timed out
  neigh_resolve_msgs,   // resolution requests sent to the master
  neigh_bus_errors,     // messages to the master refused (inbox full)
  icmp_in,
  icmp_truncated,
  icmp_bad_checksum,
  icmp_bad_code,        // echo request with a code other than 0; ND message with a bad code or hop limit
  icmp_echo_requests,   // echo requests to our addresses
  icmp_echo_replies,    // replies sent to them
  icmp_errors_sent,     // time exceeded, unreachable, too big
  icmp_errors_limited,  // not sent: over the rate limit
  icmp_to_kernel,       // other types: handed to the kernel
  nd_in,                // ARP packets (NS and NA messages)
  nd_bad,               // malformed
  nd_replies,           // ARP replies (NAs) sent for our addresses
  nd_learnt,            // sender addresses reported to the master
  nd_to_kernel,         // not for an address of ours on that device
  nd_solicits_sent,     // master: requests (NS) sent to resolve or probe
  nd_announces_sent,    // master: gratuitous ARPs (unsolicited NAs) for added addresses
  nd_failed,            // master: resolutions and probes that got no answer
  no_mbuf,              // packets we could not build or copy: the pool was empty
  ping_sent,            // dataplane pings (dpip ping)
  ping_replies,
  count_
};
constexpr unsigned kCounterCount = static_cast<unsigned>(Counter::count_);

constexpr const char* kCounterNames4[kCounterCount] = {
    "in_receives",      "in_truncated",      "in_bad_version",    "in_bad_header_length", "in_bad_checksum",
    "in_bad_length",    "in_ttl_zero",       "in_martian_source", "in_bad_ext_header",    "in_hook_drops",
    "in_hook_stolen",   "in_delivers",       "in_to_kernel",      "in_no_protocol",       "frag_in",
    "frag_reassembled", "frag_dropped",      "frag_failed",       "fwd_packets",          "fwd_no_route",
    "fwd_ttl_exceeded", "fwd_frag_needed",   "fwd_hook_drops",    "out_requests",         "out_no_route",
    "out_hook_drops",   "out_fragmented",    "out_fragments",     "out_frag_failed",      "out_packets",
    "neigh_queued",     "neigh_queue_full",  "neigh_unresolved",  "neigh_resolve_msgs",   "neigh_bus_errors",
    "icmp_in",          "icmp_truncated",    "icmp_bad_checksum", "icmp_bad_code",        "icmp_echo_requests",
    "icmp_echo_replies", "icmp_errors_sent", "icmp_errors_limited", "icmp_to_kernel",     "arp_in",
    "arp_bad",          "arp_replies",       "arp_learnt",        "arp_to_kernel",        "arp_requests_sent",
    "arp_gratuitous_sent", "arp_failed",     "no_mbuf",           "ping_sent",            "ping_replies"};

constexpr const char* kCounterNames6[kCounterCount] = {
    "in_receives",      "in_truncated",      "in_bad_version",    "in_bad_header_length", "in_bad_checksum",
    "in_bad_length",    "in_hop_limit_zero", "in_martian_source", "in_bad_ext_header",    "in_hook_drops",
    "in_hook_stolen",   "in_delivers",       "in_to_kernel",      "in_no_protocol",       "frag_in",
    "frag_reassembled", "frag_dropped",      "frag_failed",       "fwd_packets",          "fwd_no_route",
    "fwd_hop_limit_exceeded", "fwd_too_big", "fwd_hook_drops",    "out_requests",         "out_no_route",
    "out_hook_drops",   "out_fragmented",    "out_fragments",     "out_frag_failed",      "out_packets",
    "neigh_queued",     "neigh_queue_full",  "neigh_unresolved",  "neigh_resolve_msgs",   "neigh_bus_errors",
    "icmp6_in",         "icmp6_truncated",   "icmp6_bad_checksum", "icmp6_bad_code",      "icmp6_echo_requests",
    "icmp6_echo_replies", "icmp6_errors_sent", "icmp6_errors_limited", "icmp6_to_kernel", "nd_in",
    "nd_bad",           "nd_adverts_sent",   "nd_learnt",         "nd_to_kernel",         "nd_solicits_sent",
    "nd_unsolicited_na_sent", "nd_failed",   "no_mbuf",           "ping_sent",            "ping_replies"};

static_assert(kCounterNames4[kCounterCount - 1] != nullptr && kCounterNames6[kCounterCount - 1] != nullptr,
              "every counter needs a name in both lists");

// Counters that can not count for a family; the tools leave them out.
constexpr bool counter_applies(Counter c, uint8_t family) {
  if (family == family_v6) return c != Counter::in_bad_header_length && c != Counter::in_bad_checksum;
  return c != Counter::in_bad_ext_header;
}

struct StatsQuery {
  uint8_t family;  // family_v4 or family_v6
  uint8_t per_lcore;
  uint8_t reserved[6];
};
static_assert(sizeof(StatsQuery) == 8);

// How table changes reached the workers (both families share the tables): from the master's push to the
// last worker's acknowledgement, for the changes an operator waited on.
struct SyncStats {
  uint64_t changes;     // table messages pushed to the workers since start
  uint64_t waits;       // changes the master waited on (control requests)
  uint64_t last_ns;     // of the last wait
  uint64_t max_ns;
  uint64_t total_ns;    // mean = total_ns / waits
  uint64_t backlogged;  // messages that found a worker's inbox full and were sent again later
  uint64_t timeouts;    // waits that gave up
  uint64_t reserved;
};
static_assert(sizeof(SyncStats) == 64);

struct StatsHead {
  uint32_t version;  // kListVersion
  uint32_t counter_count;  // kCounterCount of the daemon; a newer daemon may count more
  uint32_t lcore_count;    // LcoreStatsHead records that follow the totals (0 unless per_lcore)
  uint8_t family;
  uint8_t reserved[3];
  SyncStats sync;
};
static_assert(sizeof(StatsHead) == 80);

struct LcoreStatsHead {
  uint32_t lcore;
  uint8_t is_master;
  uint8_t reserved[3];
  // followed by uint64_t[counter_count]
};
static_assert(sizeof(LcoreStatsHead) == 8);

// ---- settings ----

enum SettingsMask : uint32_t { set_forwarding = 1 };

struct SettingsQuery {
  uint8_t family;
  uint8_t reserved[7];
};
static_assert(sizeof(SettingsQuery) == 8);

struct Settings {
  uint8_t family;
  uint8_t forwarding;
  uint8_t reassembly;  // read only: from the config
  uint8_t ttl;         // read only: TTL (hop limit) of packets we originate
  uint32_t mask;       // set: SettingsMask bits of the fields that change
};
static_assert(sizeof(Settings) == 8);

// ---- ping ----

struct PingSend {
  uint8_t family;
  uint8_t reserved;
  uint16_t payload;  // bytes after the ICMP header, 16 to 8192
  uint16_t seq;
  uint16_t reserved2;
  uint8_t dst[kAddrSize];
};
static_assert(sizeof(PingSend) == 24);

struct PingToken {
  uint32_t token;
  uint32_t reserved;
};
static_assert(sizeof(PingToken) == 8);

enum class PingState : uint8_t { waiting = 0, replied = 1 };

struct PingResult {
  uint8_t state;  // PingState
  uint8_t ttl;    // of the reply
  uint16_t bytes;  // ICMP bytes in the reply
  uint32_t rtt_ns;
  uint32_t lcore;  // the worker that received the reply
  uint32_t reserved;
  uint8_t from[kAddrSize];
};
static_assert(sizeof(PingResult) == 32);

}  // namespace fulcrum::ctrl::inet_msg
