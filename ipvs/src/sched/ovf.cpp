// ovf: weighted overflow, with the kernel's semantics: new connections go to the available dest with the
// highest weight whose active connections do not exceed its weight; when it has more, they overflow to the
// next heaviest. Ties go to the first in the list. The weight is a connection count here, and only active
// connections count, so it suits TCP better than UDP. Per worker: each worker counts its own connections.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Ovf final : public SchedulerBase<Ovf> {
 public:
  std::string_view name() const noexcept override { return "ovf"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    DestIndex best = kNoDest;
    uint32_t best_weight = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!is_available(d) || d.activeconns > d.weight) continue;
      if (best == kNoDest || d.weight > best_weight) {
        best = static_cast<DestIndex>(i);
        best_weight = d.weight;
      }
    }
    return best;
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_ovf(const SchedConfig&) { return std::make_unique<Ovf>(); }

}  // namespace fulcrum::ipvs::sched
