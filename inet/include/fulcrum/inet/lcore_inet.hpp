#pragma once
// Everything one lcore of the ipv4/ipv6 layers owns: its copy of the tables (workers), its counters, the
// packets it holds for address resolution, the ticks at which it last used each neighbour (read by the
// master's state machine), and the results of dataplane pings it received. Written by that lcore only.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "fulcrum/core/log.hpp"
#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/inet/counters.hpp"
#include "fulcrum/inet/lcore_tables.hpp"
#include "fulcrum/inet/pending.hpp"

namespace fulcrum::inet {

constexpr unsigned kPingSlots = 16;
constexpr uint16_t kPingIdent = 0xf1c5;  // ICMP echo identifier of dataplane pings

// One received echo reply of a dataplane ping. The worker fills the fields, then publishes the token
// (release); the master reads the token (acquire), then the fields.
struct PingSlot {
  std::atomic<uint32_t> token{0};
  uint32_t rtt_ns = 0;
  uint8_t ttl = 0;
  uint16_t bytes = 0;
  Addr from;
};

struct alignas(64) LcoreInet {
  unsigned lcore = 0;
  int worker = -1;  // index among the runtime's workers; -1 for the master
  std::unique_ptr<LcoreTables> tables;  // workers only: the master keeps the authoritative tables
  std::array<FamilyCounters, 2> counters;
  PendingQueue pending;
  // By neighbour slot: the wheel tick (| 1) of this lcore's last send through it. Written here only when the
  // value changes (at most once a tick), read by the master.
  std::unique_ptr<std::atomic<uint32_t>[]> neigh_used;
  core::TimerWheel* wheel = nullptr;
  core::LogRateLimit log_limit;
  core::LogRateLimit icmp_errors{100, 50};
  std::array<PingSlot, kPingSlots> pings;
  // The last neighbour looked up: a burst mostly goes to one gateway. Reset by every neighbour change.
  NeighKey cached_key;
  uint32_t cached_slot = 0;

  FamilyCounters& ctr(Family f) { return counters[family_index(f)]; }
};

}  // namespace fulcrum::inet
