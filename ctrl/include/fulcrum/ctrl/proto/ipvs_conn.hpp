#pragma once
// ipvs dataplane messages: the connections each worker holds, the layer's per-worker counters, and each
// worker's view of the FullNAT local addresses. Fixed-size, host-order POD records; lists start with a
// ConnListHead / CountersHead whose version the tools check.
//
// Addresses travel as 16 bytes in network order with a family of 4 or 6 (an IPv4 address fills the first 4
// bytes, the rest zero); ports in network order, as the packets carry them.
//
// The service messages (the kernel's sockopt structs on ids 1152-1167 and their extensions) are in ipvs.hpp;
// this file holds what only the dataplane knows. Ids 0x40100-0x401ff.

#include <cstdint>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl::ipvs_conn {

// get, ConnQuery -> ConnListHead + ConnEntry[count]. One worker's connections at a time, from `cursor` on: a
// listing walks worker 0..workers-1, each until next_cursor is 0. A table that changes between two pages can
// show a connection twice or miss one, as /proc/net/ip_vs_conn can.
constexpr uint32_t kGetConns = ids::kIpvsFirst + 0x100;
// get, CountersQuery -> CountersHead + uint64_t[counter_count] totals + (per_worker) uint64_t[counter_count]
// for each worker, in worker order. Names come with kGetCounterNames.
constexpr uint32_t kGetCounters = ids::kIpvsFirst + 0x101;
// get, empty -> CountersHead + char[counter_count][kCounterNameSize]
constexpr uint32_t kGetCounterNames = ids::kIpvsFirst + 0x102;
// get, empty -> LaddrListHead + LaddrEntry[count]: each worker's pool entry of each local address.
constexpr uint32_t kGetLaddrs = ids::kIpvsFirst + 0x103;

constexpr uint32_t kVersion = 1;
constexpr unsigned kAddrSize = 16;
constexpr unsigned kCounterNameSize = 32;
constexpr uint32_t kMaxConnsPerPage = 4096;

struct ConnQuery {
  uint32_t version;  // kVersion
  uint32_t worker;   // 0..workers-1
  uint32_t cursor;   // 0 for the first page, then the previous reply's next_cursor
  uint32_t max;      // entries wanted, 1..kMaxConnsPerPage
};

struct ConnListHead {
  uint32_t version;
  uint32_t count;        // entries that follow
  uint32_t next_cursor;  // 0: this worker has no more
  uint32_t workers;      // how many workers there are
  uint32_t worker;
  uint32_t total;        // connections this worker holds
};

// ConnEntry.flags
enum ConnFlags : uint16_t {
  conn_active = 1,     // counted in the real server's activeconns (else inactconns)
  conn_toa_sent = 2,   // TOA went out on the SYN (and the first ACK, once sent)
  conn_template = 4,   // a persistence template (not a connection)
};

struct ConnEntry {
  uint8_t protocol;  // IPPROTO_TCP, IPPROTO_UDP
  uint8_t family;    // 4 or 6
  uint8_t state;     // TCP: the IPVS state (ipvs::TcpState); UDP: 0
  uint8_t forward;   // the real server's forwarding method (ipvs::ForwardMethod)
  uint16_t flags;    // ConnFlags
  uint16_t reserved;
  uint8_t caddr[kAddrSize];
  uint8_t vaddr[kAddrSize];
  uint8_t laddr[kAddrSize];
  uint8_t daddr[kAddrSize];
  uint16_t cport, vport, lport, dport;  // network order
  uint32_t expires_ms;  // until the connection expires
  uint32_t worker;
  char state_name[16];  // as ipvsadm -c prints it: "ESTABLISHED", "SYN_RECV", "UDP", ...
};
static_assert(sizeof(ConnEntry) == 104);

struct CountersQuery {
  uint32_t version;
  uint32_t per_worker;  // 1: each worker's counters follow the totals
};

struct CountersHead {
  uint32_t version;
  uint32_t counter_count;
  uint32_t workers;
  uint32_t reserved;
};

struct LaddrListHead {
  uint32_t version;
  uint32_t count;
};

struct LaddrEntry {
  uint8_t family;
  uint8_t reserved[3];
  uint32_t worker;
  uint8_t addr[kAddrSize];
  uint32_t ports;       // ports this worker owns on the address
  uint32_t free_ports;  // of them, not in use
  uint32_t services;    // services whose local-address group holds it
  uint32_t reserved2;
};
static_assert(sizeof(LaddrEntry) == 40);

}  // namespace fulcrum::ctrl::ipvs_conn
