// fo: weighted failover, with the kernel's semantics: every new connection goes to the available dest with
// the highest weight; ties go to the first in the list. Lowering the weight of the active dest below a
// standby's fails over to it.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Fo final : public SchedulerBase<Fo> {
 public:
  std::string_view name() const noexcept override { return "fo"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    DestIndex best = kNoDest;
    uint32_t best_weight = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!(d.flags & kDestOverload) && d.weight > best_weight) {
        best = static_cast<DestIndex>(i);
        best_weight = d.weight;
      }
    }
    return best;
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_fo(const SchedConfig&) { return std::make_unique<Fo>(); }

}  // namespace fulcrum::ipvs::sched
