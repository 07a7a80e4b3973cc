// rr: round robin, with the kernel's semantics. Each pick takes the next available dest after the last one
// picked (available: weight above 0 and not overloaded), wrapping at the end; a full turn with none
// available gives kNoDest and leaves the place unchanged.
//
// The place in the list is per scheduler instance, so with one copy per worker the rotation, and therefore
// the balance, is per worker. Across a rebuild the place is kept by identity: the kernel keeps its cursor
// when dests are added, and when the last-picked dest is removed it moves back to that dest's predecessor.

#include <vector>

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Rr final : public SchedulerBase<Rr> {
 public:
  std::string_view name() const noexcept override { return "rr"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<DestId> ids = identities(dests);
    const DestIndex last = find_place(dests);
    ids_ = std::move(ids);
    last_ = last;
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    const size_t n = dests_.size();
    size_t i = last_;
    for (size_t k = 0; k < n; ++k) {
      i = (i == kNoDest || i + 1 >= n) ? 0 : i + 1;
      if (is_available(dests_[i])) {
        last_ = static_cast<DestIndex>(i);
        return last_;
      }
    }
    return kNoDest;
  }

 private:
  // The new index of the last-picked dest, or of its nearest predecessor that survived; kNoDest (the head)
  // when there is none.
  DestIndex find_place(std::span<const Dest> dests) const {
    if (last_ == kNoDest || last_ >= ids_.size()) return kNoDest;
    const std::vector<DestIndex> remap = remap_by_identity(ids_, dests);
    for (size_t j = last_ + 1; j-- > 0;)
      if (remap[j] != kNoDest) return remap[j];
    return kNoDest;
  }

  DestIndex last_ = kNoDest;  // the last dest picked; kNoDest: start at the head
  std::vector<DestId> ids_;   // the identities at the last rebuild, to find the place again
};

}  // namespace

std::unique_ptr<Scheduler> make_rr(const SchedConfig&) { return std::make_unique<Rr>(); }

}  // namespace fulcrum::ipvs::sched
