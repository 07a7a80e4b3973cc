#pragma once
// Per-lcore, per-family counters of the ipv4/ipv6 layers. Each lcore writes its own (a load and a store, no
// locked instruction); the master sums them for `dpip -s ipv4`. The list is the wire protocol's
// (ctrl::inet_msg::Counter), so adding a counter there is all it takes.

#include <array>
#include <atomic>
#include <cstdint>

#include "fulcrum/ctrl/proto/inet.hpp"

namespace fulcrum::inet {

using Ctr = ctrl::inet_msg::Counter;
using ctrl::inet_msg::kCounterCount;

class Counter {
 public:
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct FamilyCounters {
  std::array<Counter, kCounterCount> c;

  void add(Ctr which, uint64_t n = 1) { c[static_cast<unsigned>(which)].add(n); }
  uint64_t get(Ctr which) const { return c[static_cast<unsigned>(which)].get(); }
};

}  // namespace fulcrum::inet
