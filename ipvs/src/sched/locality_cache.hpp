#pragma once
// lblc's and lblcr's memory of which dests served a destination address. The kernel keeps an unbounded hash
// table and a timer that collects entries unused for a while once it holds more than 16 per bucket, and all
// entries unused for a day. This one is fixed in size, allocated by the control path, so the hot path never
// allocates: 4-way buckets, where a new address takes a free way or the least recently used one, and an entry
// unused for `expiration` seconds counts as gone.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <span>
#include <string>
#include <vector>

#include "hash_keys.hpp"

namespace fulcrum::ipvs::sched {

template <class Value>
class LocalityCache {
 public:
  struct Entry {
    IpAddr addr;
    Family family = Family::v4;
    bool used = false;
    uint32_t lastuse = 0;  // seconds
    Value value{};
  };

  LocalityCache(uint32_t entries, uint32_t expiration_s) : expiration_(expiration_s) {
    if (entries == 0 || entries > (1u << 24))
      throw std::invalid_argument("lblc: " + std::to_string(entries) + " cache entries is not in [1, 2^24]");
    const uint32_t size = std::max<uint32_t>(std::bit_ceil(entries), kWays);
    entries_.resize(size);
    bucket_mask_ = size / kWays - 1;
  }

  // The live entry for the address, or null.
  Entry* find(Family family, const IpAddr& addr, uint32_t now) noexcept {
    Entry* b = bucket(family, addr);
    for (unsigned w = 0; w < kWays; ++w) {
      Entry& e = b[w];
      if (!e.used || e.family != family || e.addr != addr) continue;
      if (now - e.lastuse >= expiration_) {
        e.used = false;
        return nullptr;
      }
      return &e;
    }
    return nullptr;
  }

  // A fresh entry for an address that find() did not find, its value default-constructed.
  Entry& insert(Family family, const IpAddr& addr, uint32_t now) noexcept {
    Entry* b = bucket(family, addr);
    Entry* victim = &b[0];
    for (unsigned w = 0; w < kWays; ++w) {
      if (!b[w].used) {
        victim = &b[w];
        break;
      }
      // The longest unused, by the clock's own arithmetic so that a wrap does not confuse it.
      if (now - b[w].lastuse > now - victim->lastuse) victim = &b[w];
    }
    *victim = Entry{addr, family, true, now, Value{}};
    return *victim;
  }

  template <class Fn>
  void for_each(Fn&& fn) {
    for (Entry& e : entries_)
      if (e.used) fn(e);
  }

  uint32_t expiration() const { return expiration_; }

 private:
  static constexpr unsigned kWays = 4;

  Entry* bucket(Family family, const IpAddr& addr) noexcept {
    const uint64_t h = KeyBytes(family, addr).hash(kCacheKey);
    return &entries_[(h & bucket_mask_) * kWays];
  }

  std::vector<Entry> entries_;
  uint64_t bucket_mask_;
  uint32_t expiration_;
};

// lblc's and lblcr's own notion of overload: the dest has more active connections than its weight, and some
// dest in the service has fewer than half its weight. Not the threshold flag, which lblc's cache ignores.
inline bool locality_overloaded(const Dest& d, std::span<const Dest> dests) noexcept {
  if (d.activeconns <= d.weight) return false;
  for (const Dest& other : dests)
    if (uint64_t{other.activeconns} * 2 < other.weight) return true;
  return false;
}

}  // namespace fulcrum::ipvs::sched
