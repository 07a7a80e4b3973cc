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

enum ConnFlag : uint8_t {
  kConnActive = 1,          // counted in the dest's activeconns, else in its inactconns
  kConnToaSent = 2,         // TOA went out on the SYN
  kConnToaAckPending = 4,   // and waits for the client's first ACK
  kConnBound = 8,           // counted in a dest's connection counters at all
};

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
  uint8_t flags;  // ConnFlag
  uint32_t service;   // the worker's service slot
  uint32_t dest;      // the dest's index in that service's copy when last seen: a hint, checked by dest_uid
  core::Timer timer;
  uint32_t svc_uid;   // the service's and the dest's numbers, never reused, so that a connection whose service
  uint32_t dest_uid;  // or dest went away (and whose slot or index now holds another) counts nothing wrong
  uint16_t laddr_id;  // FullNAT: the local address's id in the worker's LocalPortPool
  uint8_t forward;    // ForwardMethod
  uint8_t reserved8;
  uint32_t touched;  // the timer wheel's tick at the connection's last packet (the timer is re-armed lazily)

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
