// lblc: locality-based least connection, with the kernel's semantics, for cache clusters where the address a
// client asked for (SchedInput::daddr) names the content. A destination address keeps going to the dest that
// served it last, unless that dest has weight 0 or is overloaded in lblc's sense (more active connections than
// its weight while some dest has fewer than half its weight); then wlc picks a dest and the address is
// remembered with it. As in the kernel, the threshold flag does not stop a remembered dest, only wlc's picks.
//
// The memory is per worker and bounded (locality_cache.hpp): SchedConfig::lblc_entries addresses, each
// forgotten after lblc_expiration_s seconds unused. A rebuild keeps it, following dests by identity; an
// address whose dest went away is scheduled afresh.

#include "common.hpp"
#include "factories.hpp"
#include "locality_cache.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Lblc final : public SchedulerBase<Lblc> {
 public:
  explicit Lblc(const SchedConfig& config) : cache_(config.lblc_entries, config.lblc_expiration_s) {}

  std::string_view name() const noexcept override { return "lblc"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<DestId> ids = identities(dests);
    const std::vector<DestIndex> remap = remap_by_identity(ids_, dests);
    cache_.for_each([&](auto& e) { e.value = e.value < remap.size() ? remap[e.value] : kNoDest; });
    ids_ = std::move(ids);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    auto* e = cache_.find(in.family, in.daddr, in.now_s);
    if (e) {
      e->lastuse = in.now_s;
      const DestIndex d = e->value;
      if (d != kNoDest && dests_[d].weight > 0 && !locality_overloaded(dests_[d], dests_)) return d;
    }
    const DestIndex d = weighted_least(dests_, conn_overhead);
    if (d == kNoDest) return kNoDest;
    if (!e) e = &cache_.insert(in.family, in.daddr, in.now_s);
    e->value = d;
    return d;
  }

 private:
  LocalityCache<DestIndex> cache_;
  std::vector<DestId> ids_;  // the identities at the last rebuild, to follow dests across the next one
};

}  // namespace

std::unique_ptr<Scheduler> make_lblc(const SchedConfig& config) { return std::make_unique<Lblc>(config); }

}  // namespace fulcrum::ipvs::sched
