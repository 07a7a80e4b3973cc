#pragma once
// What the schedulers share: the base that holds the bound span, the checks every rebuild makes, the canonical
// order of dests, and the kernel's weighted least-overhead scan.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fulcrum/ipvs/scheduler.hpp"

namespace fulcrum::ipvs::sched {

// Throws std::invalid_argument for a weight above kMaxWeight or a dest listed twice.
void validate_dests(std::span<const Dest> dests);

// Indices of `dests` sorted by identity: the order the hashing schedulers build their tables in.
std::vector<DestIndex> identity_order(std::span<const Dest> dests);

// Old index -> new index by identity across a rebuild (kNoDest: the dest went away), for the schedulers that
// remember dests by index: rr's place, lblc's and lblcr's caches.
std::vector<DestIndex> remap_by_identity(std::span<const DestId> old_ids, std::span<const Dest> dests);

// Each dest's identity, to remap by after the next rebuild.
std::vector<DestId> identities(std::span<const Dest> dests);

// Holds the bound span and implements bind() and clone() for `Derived`, which must be copyable.
template <class Derived>
class SchedulerBase : public Scheduler {
 public:
  bool bind(std::span<const Dest> dests) noexcept final {
    if (dests.size() != dests_.size()) return false;
    dests_ = dests;
    return true;
  }
  std::unique_ptr<Scheduler> clone() const final {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }

 protected:
  std::span<const Dest> dests_;
};

// The kernel's wlc choice, shared by wlc, sed, lblc and lblcr: the first available dest, then any later
// non-overloaded dest whose overhead/weight is strictly lower (compared as overhead * other weight, in
// integers), so ties go to the earlier dest. A later dest of weight 0 can never be strictly lower.
template <class Overhead>
DestIndex weighted_least(std::span<const Dest> dests, Overhead overhead) noexcept {
  const size_t n = dests.size();
  size_t i = 0;
  while (i < n && !is_available(dests[i])) ++i;
  if (i == n) return kNoDest;
  size_t least = i;
  uint64_t loh = overhead(dests[i]);
  uint64_t lw = dests[i].weight;
  for (++i; i < n; ++i) {
    const Dest& d = dests[i];
    const uint64_t doh = overhead(d);
    // Selects without branches: with counters close to each other the outcome is a coin toss, and a
    // mispredicted branch per dest would double the cost of the scan.
    const bool better = !(d.flags & kDestOverload) & (loh * d.weight > doh * lw);
    least = better ? i : least;
    loh = better ? doh : loh;
    lw = better ? d.weight : lw;
  }
  return static_cast<DestIndex>(least);
}

// How far a fallback walk goes before it checks that it can end at all.
inline constexpr size_t kProbesBeforeCheck = 32;

// Any dest that could take a connection? The hashing schedulers ask before a long fallback walk, so that a
// set with every dest overloaded costs O(n) per pick instead of a walk over the whole table.
inline bool any_available(std::span<const Dest> dests) noexcept {
  for (const Dest& d : dests)
    if (is_available(d)) return true;
  return false;
}

}  // namespace fulcrum::ipvs::sched
