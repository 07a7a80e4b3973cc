// twos: weighted random power of two choices, with the kernel's semantics. Two dests are drawn at random in
// proportion to their weights, among the available ones, and the one with the lower overhead / weight wins
// (the first drawn on a tie). As in the kernel each draw is a number in [0, total weight], inclusive, walked
// down the list, which gives the first available dest one extra chance in total + 1.
//
// The random numbers come from a small generator per instance, seeded from SchedConfig::seed: give each
// worker its own seed. The counters, and so the balance, are per worker.

#include "common.hpp"
#include "factories.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Twos final : public SchedulerBase<Twos> {
 public:
  explicit Twos(uint64_t seed) : state_(seed != 0 ? seed : 0x74776f7320736565ull) {}

  std::string_view name() const noexcept override { return "twos"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput&) noexcept override {
    uint64_t total = 0;
    for (const Dest& d : dests_) total += is_available(d) ? d.weight : 0;
    if (total == 0) return kNoDest;
    // total <= 65535 * 2^32 could pass 32 bits; the draws are 64-bit for that reason.
    int64_t r1 = static_cast<int64_t>(below(total + 1));
    int64_t r2 = static_cast<int64_t>(below(total + 1));
    DestIndex c1 = kNoDest;
    DestIndex c2 = kNoDest;
    for (size_t i = 0; i < dests_.size() && (c1 == kNoDest || c2 == kNoDest); ++i) {
      const Dest& d = dests_[i];
      if (!is_available(d)) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && c1 == kNoDest) c1 = static_cast<DestIndex>(i);
      if (r2 <= 0 && c2 == kNoDest) c2 = static_cast<DestIndex>(i);
    }
    const Dest& d1 = dests_[c1];
    const Dest& d2 = dests_[c2];
    return uint64_t{d2.weight} * conn_overhead(d1) > uint64_t{d1.weight} * conn_overhead(d2) ? c2 : c1;
  }

 private:
  // SplitMix64: tiny, fast, and good enough to draw dests.
  uint64_t next() noexcept {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  uint64_t state_;
};

}  // namespace

std::unique_ptr<Scheduler> make_twos(const SchedConfig& config) { return std::make_unique<Twos>(config.seed); }

}  // namespace fulcrum::ipvs::sched
