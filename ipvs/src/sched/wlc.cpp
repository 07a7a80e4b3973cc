// wlc: weighted least connection, with the kernel's semantics: the available dest with the least
// overhead / weight (overhead = activeconns * 256 + inactconns), compared in integers; ties go to the first in
// the list. The counters are the worker's own, so the balance is per worker.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Wlc final : public SchedulerBase<Wlc> {
 public:
  std::string_view name() const noexcept override { return "wlc"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override { return weighted_least(dests_, conn_overhead); }
};

}  // namespace

std::unique_ptr<Scheduler> make_wlc(const SchedConfig&) { return std::make_unique<Wlc>(); }

}  // namespace fulcrum::ipvs::sched
