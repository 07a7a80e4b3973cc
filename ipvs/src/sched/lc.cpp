// lc: least connection, with the kernel's semantics: the available dest (weight above 0, not overloaded) with
// the least overhead, activeconns * 256 + inactconns; ties go to the first in the list. Weights other than 0
// do not matter. The counters are the worker's own, so the balance is per worker.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Lc final : public SchedulerBase<Lc> {
 public:
  std::string_view name() const noexcept override { return "lc"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    // kNoDest's overhead is the largest there is, so the first available dest always beats it; the select
    // has no branch, which matters when counters are close and the outcome is a coin toss.
    size_t least = kNoDest;
    uint64_t loh = UINT64_MAX;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      const uint64_t doh = conn_overhead(d);
      const bool better = is_available(d) & (doh < loh);
      least = better ? i : least;
      loh = better ? doh : loh;
    }
    return static_cast<DestIndex>(least);
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_lc(const SchedConfig&) { return std::make_unique<Lc>(); }

}  // namespace fulcrum::ipvs::sched
