#pragma once
// Per-queue counters. Each is written by the one lcore that owns the queue (a load and a store, no locked
// instruction) and read by the master when it sums them for a stats request.

#include <array>
#include <atomic>
#include <cstdint>

#include "fulcrum/ctrl/proto/netif.hpp"

namespace fulcrum::netif {

using Drop = ctrl::netif_msg::Drop;
using ctrl::netif_msg::kDropReasons;
using ctrl::netif_msg::kDropSlots;

class Counter {
 public:
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  void reset() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct QueueCounters {
  Counter packets;
  Counter bytes;
  std::array<Counter, kDropSlots> drops;

  void drop(Drop reason, uint64_t n = 1) { drops[static_cast<unsigned>(reason)].add(n); }
  void reset() {
    packets.reset();
    bytes.reset();
    for (auto& d : drops) d.reset();
  }
};

}  // namespace fulcrum::netif
