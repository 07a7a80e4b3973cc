#pragma once
// Packets a worker holds while the master resolves their next hop: a few neighbours at a time, a few
// packets each, in fixed arrays sized at start (inet.neigh_pending, inet.neigh_queue_len). A packet that
// finds no room is dropped and counted; a neighbour that stays unresolved past the deadline has its packets
// dropped by expire(), so nothing waits forever even if a message from the master were lost.

#include <cstdint>
#include <vector>

#include "fulcrum/inet/table_msg.hpp"

struct rte_mbuf;

namespace fulcrum::inet {

class PendingQueue {
 public:
  enum class Result : uint8_t { queued_first, queued, full };

  void init(uint32_t neighbours, uint32_t per_neighbour) {
    per_ = per_neighbour;
    entries_.assign(neighbours, Entry{});
    pkts_.assign(static_cast<size_t>(neighbours) * per_neighbour, nullptr);
  }

  // queued_first: the first packet for `key`, so the caller asks the master to resolve it.
  Result enqueue(const NeighKey& key, rte_mbuf* m, uint32_t now) {
    Entry* free_entry = nullptr;
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.count == 0) {
        if (free_entry == nullptr) free_entry = &e;
        continue;
      }
      if (e.key != key) continue;
      if (e.count == per_) return Result::full;
      pkts_[i * per_ + e.count++] = m;
      return Result::queued;
    }
    if (free_entry == nullptr || per_ == 0) return Result::full;
    const uint32_t i = static_cast<uint32_t>(free_entry - entries_.data());
    free_entry->key = key;
    free_entry->since = now;
    free_entry->count = 1;
    pkts_[i * per_] = m;
    ++active_;
    return Result::queued_first;
  }

  // Hands every packet held for `key` to fn(m), in arrival order; returns how many.
  template <class Fn>
  uint32_t take(const NeighKey& key, Fn&& fn) {
    if (active_ == 0) return 0;
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.count == 0 || e.key != key) continue;
      const uint32_t n = e.count;
      e.count = 0;
      --active_;
      for (uint32_t k = 0; k < n; ++k) fn(pkts_[i * per_ + k]);
      return n;
    }
    return 0;
  }

  // Hands fn(key, m) every packet of the neighbours held since before now - max_age; returns how many.
  template <class Fn>
  uint32_t expire(uint32_t now, uint32_t max_age, Fn&& fn) {
    if (active_ == 0) return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.count == 0 || static_cast<int32_t>(now - e.since) < static_cast<int32_t>(max_age)) continue;
      const uint32_t count = e.count;
      e.count = 0;
      --active_;
      for (uint32_t k = 0; k < count; ++k) fn(e.key, pkts_[i * per_ + k]);
      n += count;
    }
    return n;
  }

  uint32_t active() const { return active_; }

 private:
  struct Entry {
    NeighKey key;
    uint32_t since = 0;
    uint32_t count = 0;
  };
  std::vector<Entry> entries_;
  std::vector<rte_mbuf*> pkts_;
  uint32_t per_ = 0;
  uint32_t active_ = 0;
};

}  // namespace fulcrum::inet
