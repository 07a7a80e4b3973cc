// sh: source hashing, with the kernel's semantics: a client's address (and its port, with kSchedPort) is
// hashed into a table in which each dest with a weight holds buckets in proportion to it. A client whose
// bucket's dest is overloaded gets kNoDest, or with kSchedFallback the first available dest along its own
// probe sequence through the table.
//
// Departures from the kernel, for the several balancers behind one ECMP route: the table is built in identity
// order and hashed with SipHash, so every balancer maps a client to the same dest; it grows past the kernel's
// 256 buckets when there are many dests (see bucket_table.hpp); and a dest of weight 0 holds no bucket, where
// the kernel's keeps one that answers nothing. As in the kernel, a change to the set or a weight moves most
// clients: mh and conhash are the schedulers that keep them.

#include <bit>

#include "bucket_table.hpp"
#include "common.hpp"
#include "factories.hpp"
#include "hash_keys.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Sh final : public SchedulerBase<Sh> {
 public:
  explicit Sh(uint32_t flags) : fallback_(flags & kSchedFallback), port_(flags & kSchedPort) {}

  std::string_view name() const noexcept override { return "sh"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<uint32_t> shares(dests.size());
    for (size_t i = 0; i < dests.size(); ++i) shares[i] = dests[i].weight;
    std::vector<DestIndex> table = build_bucket_table(dests, shares);
    shift_ = table.empty() ? 0 : 64 - std::countr_zero(table.size());
    table_ = std::move(table);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    if (table_.empty()) return kNoDest;
    const uint64_t h = hash_client(in, port_);
    size_t slot = h >> shift_;
    DestIndex d = table_[slot];
    if (is_available(dests_[d])) return d;
    if (!fallback_) return kNoDest;
    // An odd stride visits every bucket of a power-of-two table; each client has its own.
    const size_t mask = table_.size() - 1;
    const size_t stride = (static_cast<uint32_t>(h) | 1u) & mask;
    for (size_t k = 1; k < table_.size(); ++k) {
      if (k == kProbesBeforeCheck && !any_available(dests_)) return kNoDest;
      slot = (slot + stride) & mask;
      d = table_[slot];
      if (is_available(dests_[d])) return d;
    }
    return kNoDest;
  }

 private:
  std::vector<DestIndex> table_;
  unsigned shift_ = 0;  // 64 - log2(table size): the top bits of the hash pick the bucket
  bool fallback_;
  bool port_;
};

}  // namespace

std::unique_ptr<Scheduler> make_sh(const SchedConfig& config) { return std::make_unique<Sh>(config.flags); }

}  // namespace fulcrum::ipvs::sched
