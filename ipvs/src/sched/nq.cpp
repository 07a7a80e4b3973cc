// nq: never queue, with the kernel's semantics: the first available dest with no active connection wins at
// once; otherwise sed's choice (least (activeconns + 1) / weight, ties to the first in the list). Per worker,
// like every scheduler that reads the counters.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Nq final : public SchedulerBase<Nq> {
 public:
  std::string_view name() const noexcept override { return "nq"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    DestIndex least = kNoDest;
    uint64_t loh = 0;
    uint64_t lw = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!is_available(d)) continue;
      if (d.activeconns == 0) return static_cast<DestIndex>(i);
      const uint64_t doh = uint64_t{d.activeconns} + 1;
      if (least == kNoDest || loh * d.weight > doh * lw) {
        least = static_cast<DestIndex>(i);
        loh = doh;
        lw = d.weight;
      }
    }
    return least;
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_nq(const SchedConfig&) { return std::make_unique<Nq>(); }

}  // namespace fulcrum::ipvs::sched
