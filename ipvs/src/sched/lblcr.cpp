// lblcr: locality-based least connection with replication, with the kernel's semantics. Like lblc, but a
// destination address maps to a set of dests, so that a hot address can be served by several. A pick takes
// the set's least loaded dest (overhead / weight, skipping overloaded ones; the newest member wins a tie). If
// there is none, or it is overloaded in lblc's sense, wlc picks a dest from the whole service and it joins the
// set. When a set of more than one has not changed for lblc_expiration_s seconds, its most loaded member
// leaves it, one per pick.
//
// A set holds at most kMaxSet dests (the kernel's is unbounded); a dest joining a full set replaces the most
// loaded member. The memory is per worker and bounded as lblc's; a rebuild keeps it, dropping members that
// went away.

#include <algorithm>

#include "common.hpp"
#include "factories.hpp"
#include "locality_cache.hpp"

namespace fulcrum::ipvs::sched {
namespace {

constexpr unsigned kMaxSet = 8;

// Members oldest first; the kernel adds at the head of its list and walks from there, so the walks below go
// from the newest.
struct DestSet {
  uint32_t lastmod = 0;
  uint8_t size = 0;
  DestIndex members[kMaxSet];

  bool contains(DestIndex d) const { return std::find(members, members + size, d) != members + size; }
  void erase(DestIndex d) {
    DestIndex* end = std::remove(members, members + size, d);
    size = static_cast<uint8_t>(end - members);
  }
};

// The set's weighted least loaded member that can take a connection.
DestIndex set_min(const DestSet& set, std::span<const Dest> dests) {
  DestIndex least = kNoDest;
  uint64_t loh = 0;
  uint64_t lw = 0;
  for (unsigned k = set.size; k-- > 0;) {
    const DestIndex i = set.members[k];
    const Dest& d = dests[i];
    if (d.flags & kDestOverload) continue;
    const uint64_t doh = conn_overhead(d);
    if (least == kNoDest) {
      if (d.weight == 0) continue;
    } else if (loh * d.weight <= doh * lw) {
      continue;
    }
    least = i;
    loh = doh;
    lw = d.weight;
  }
  return least;
}

// The set's weighted most loaded member with a weight.
DestIndex set_max(const DestSet& set, std::span<const Dest> dests) {
  DestIndex most = kNoDest;
  uint64_t moh = 0;
  uint64_t mw = 0;
  for (unsigned k = set.size; k-- > 0;) {
    const DestIndex i = set.members[k];
    const Dest& d = dests[i];
    if (d.weight == 0) continue;
    const uint64_t doh = conn_overhead(d);
    if (most == kNoDest || moh * d.weight < doh * mw) {
      most = i;
      moh = doh;
      mw = d.weight;
    }
  }
  return most;
}

// True past `lastmod + expiration`, with the clock's wrap-around arithmetic.
bool expired(uint32_t now, uint32_t lastmod, uint32_t expiration) {
  return static_cast<int32_t>(lastmod + expiration - now) < 0;
}

class Lblcr final : public SchedulerBase<Lblcr> {
 public:
  explicit Lblcr(const SchedConfig& config) : cache_(config.lblc_entries, config.lblc_expiration_s) {}

  std::string_view name() const noexcept override { return "lblcr"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<DestId> ids = identities(dests);
    const std::vector<DestIndex> remap = remap_by_identity(ids_, dests);
    cache_.for_each([&](auto& e) {
      DestSet& set = e.value;
      uint8_t kept = 0;
      for (unsigned k = 0; k < set.size; ++k) {
        const DestIndex d = set.members[k] < remap.size() ? remap[set.members[k]] : kNoDest;
        if (d != kNoDest) set.members[kept++] = d;
      }
      set.size = kept;
    });
    ids_ = std::move(ids);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    auto* e = cache_.find(in.family, in.daddr, in.now_s);
    if (!e) {
      const DestIndex d = weighted_least(dests_, conn_overhead);
      if (d == kNoDest) return kNoDest;
      auto& fresh = cache_.insert(in.family, in.daddr, in.now_s);
      fresh.value.members[0] = d;
      fresh.value.size = 1;
      fresh.value.lastmod = in.now_s;
      return d;
    }
    e->lastuse = in.now_s;
    DestSet& set = e->value;
    DestIndex d = set_min(set, dests_);
    if (set.size > 1 && expired(in.now_s, set.lastmod, cache_.expiration())) {
      const DestIndex most = set_max(set, dests_);
      if (most != kNoDest) {
        set.erase(most);
        set.lastmod = in.now_s;
      }
    }
    if (d != kNoDest && !locality_overloaded(dests_[d], dests_)) return d;
    d = weighted_least(dests_, conn_overhead);
    if (d == kNoDest) return kNoDest;
    if (!set.contains(d)) {
      if (set.size == kMaxSet) {
        const DestIndex most = set_max(set, dests_);
        set.erase(most != kNoDest ? most : set.members[0]);
      }
      set.members[set.size++] = d;
      set.lastmod = in.now_s;
    }
    return d;
  }

 private:
  LocalityCache<DestSet> cache_;
  std::vector<DestId> ids_;
};

}  // namespace

std::unique_ptr<Scheduler> make_lblcr(const SchedConfig& config) { return std::make_unique<Lblcr>(config); }

}  // namespace fulcrum::ipvs::sched
