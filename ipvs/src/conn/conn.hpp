#pragma once
// A connection as one worker keeps it: both directions' tuples, the real server and service it belongs to,
// its state and its expiry timer. Two cache lines; the table indexes it twice (inbound and outbound) by
// 32-bit entry number, so a connection costs 128 bytes here plus its two index slots (conn_table.hpp).
//
// Inbound:  client caddr:cport -> VIP vaddr:vport.
// Outbound: real server daddr:dport -> laddr:lport (FullNAT: a local address of the balancer; NAT and DR:
//           the client's own address and port).

#include <cstdint>
#include <cstring>

#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/ipvs/flow_key.hpp"

namespace fulcrum::ipvs {

enum class ConnDir : uint8_t { in = 0, out = 1 };

struct alignas(64) Conn {
  uint8_t caddr[16];
  uint8_t vaddr[16];
  uint8_t laddr[16];
  uint8_t daddr[16];
  uint16_t cport;  // network order, all four
  uint16_t vport;
  uint16_t lport;
  uint16_t dport;
  uint8_t family;
  uint8_t proto;
  uint8_t state;  // protocol state (TCP: the IPVS state machine)
  uint8_t flags;
  uint32_t service;  // the worker's service slot
  uint32_t dest;     // the worker's real-server slot
  core::Timer timer;
  uint32_t reserved[4];

  // The key a packet of direction `dir` carries.
  bool matches(const FlowKey& k, ConnDir dir) const {
    if (k.proto != proto || k.family != family) return false;
    if (dir == ConnDir::in) {
      return k.sport == cport && k.dport == vport && std::memcmp(k.saddr, caddr, 16) == 0 &&
             std::memcmp(k.daddr, vaddr, 16) == 0;
    }
    return k.sport == dport && k.dport == lport && std::memcmp(k.saddr, daddr, 16) == 0 &&
           std::memcmp(k.daddr, laddr, 16) == 0;
  }

  FlowKey key(ConnDir dir) const {
    FlowKey k{};
    const bool in = dir == ConnDir::in;
    std::memcpy(k.saddr, in ? caddr : daddr, 16);
    std::memcpy(k.daddr, in ? vaddr : laddr, 16);
    k.sport = in ? cport : dport;
    k.dport = in ? vport : lport;
    k.family = family;
    k.proto = proto;
    return k;
  }
};
static_assert(sizeof(Conn) == 128, "a connection is two cache lines");

}  // namespace fulcrum::ipvs
