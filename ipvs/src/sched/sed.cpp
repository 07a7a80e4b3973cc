// sed: shortest expected delay, with the kernel's semantics: wlc's choice, but the overhead is
// activeconns + 1, the delay the new connection itself would see. Inactive connections do not count. Ties go
// to the first in the list; the counters, and so the balance, are per worker.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

uint64_t expected_delay(const Dest& d) { return uint64_t{d.activeconns} + 1; }

class Sed final : public SchedulerBase<Sed> {
 public:
  std::string_view name() const noexcept override { return "sed"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override { return weighted_least(dests_, expected_delay); }
};

}  // namespace

std::unique_ptr<Scheduler> make_sed(const SchedConfig&) { return std::make_unique<Sed>(); }

}  // namespace fulcrum::ipvs::sched
