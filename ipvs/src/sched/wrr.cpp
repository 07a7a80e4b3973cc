// wrr: weighted round robin, with the kernel's semantics and so its exact order. The kernel walks the list
// with a current weight cw: a dest is picked when it is available and its weight is at least cw; each time
// the walk passes the end of the list, cw drops by di, the gcd of the positive weights, and when it falls to
// zero or below it starts again at mw = max weight - (di - 1). Weights 4, 3, 2 give A A B A B C A B C.
//
// A rebuild (the kernel's dest_changed) starts the walk again at the head with the new di and mw, keeping cw
// when it still fits. The walk is per instance: with one copy per worker, the ratio holds per worker.
//
// The walk below skips levels of cw at which no available dest can qualify, which the kernel walks through
// one pass at a time (a pass per level, so up to 65535 passes when only light dests are available); the
// dest it returns is the same.

#include <algorithm>
#include <numeric>

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Wrr final : public SchedulerBase<Wrr> {
 public:
  std::string_view name() const noexcept override { return "wrr"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    uint32_t g = 0;
    uint32_t max_weight = 0;
    for (const Dest& d : dests) {
      if (d.weight > 0) g = std::gcd(g, d.weight);
      max_weight = std::max(max_weight, d.weight);
    }
    di_ = g > 0 ? g : 1;
    mw_ = static_cast<int64_t>(max_weight) - (di_ - 1);
    cl_ = kNoDest;
    if (cw_ > mw_ || cw_ == 0)
      cw_ = mw_;
    else if (di_ > 1)
      cw_ = (cw_ / di_) * di_ + 1;
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    if (mw_ <= 0) return kNoDest;
    const size_t n = dests_.size();
    size_t i = cl_;
    int64_t cw = cw_;
    size_t scanned = 0;
    uint32_t best_available = 0;  // the highest weight of an available dest seen so far
    // Three turns are enough: within two the walk has seen every dest and skipped to a level where the
    // heaviest available one qualifies, and it meets that one within one more.
    for (size_t steps = 0; steps < 3 * n + 1; ++steps) {
      if (i == kNoDest) {
        i = 0;
      } else if (i + 1 >= n) {
        cw -= di_;
        if (cw <= 0) cw = mw_;
        if (scanned >= n) {
          if (best_available == 0) return kNoDest;
          // Levels above the heaviest available weight pick nothing; jump to the first that picks it.
          if (cw > best_available) cw = static_cast<int64_t>(best_available) - (di_ - 1);
        }
        i = 0;
      } else {
        ++i;
      }
      ++scanned;
      const Dest& d = dests_[i];
      if (!is_available(d)) continue;
      best_available = std::max(best_available, d.weight);
      if (d.weight >= cw) {
        cl_ = static_cast<DestIndex>(i);
        cw_ = cw;
        return cl_;
      }
    }
    return kNoDest;
  }

 private:
  DestIndex cl_ = kNoDest;  // the last dest picked; kNoDest: the head of the list
  int64_t cw_ = 0;          // current weight; 0 until the first rebuild
  int64_t mw_ = 0;          // max weight - (di - 1)
  int64_t di_ = 1;          // gcd of the positive weights
};

}  // namespace

std::unique_ptr<Scheduler> make_wrr(const SchedConfig&) { return std::make_unique<Wrr>(); }

}  // namespace fulcrum::ipvs::sched
