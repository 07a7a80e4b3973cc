// dh: destination hashing, with the kernel's semantics: the address the client asked for (SchedInput::daddr,
// the original destination in a transparent cache cluster) is hashed into a table in which every dest holds
// the same number of buckets, whatever its weight. A bucket whose dest has weight 0 or is overloaded answers
// kNoDest; dh has no fallback.
//
// As with sh, the table is built in identity order and hashed with SipHash, so that every balancer agrees,
// and grows past 256 buckets for large sets (bucket_table.hpp).

#include <bit>

#include "bucket_table.hpp"
#include "common.hpp"
#include "factories.hpp"
#include "hash_keys.hpp"

namespace fulcrum::ipvs::sched {
namespace {

class Dh final : public SchedulerBase<Dh> {
 public:
  std::string_view name() const noexcept override { return "dh"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    const std::vector<uint32_t> shares(dests.size(), 1);
    std::vector<DestIndex> table = build_bucket_table(dests, shares);
    shift_ = table.empty() ? 0 : 64 - std::countr_zero(table.size());
    table_ = std::move(table);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    if (table_.empty()) return kNoDest;
    const DestIndex d = table_[KeyBytes(in.family, in.daddr).hash(kClientKey) >> shift_];
    return is_available(dests_[d]) ? d : kNoDest;
  }

 private:
  std::vector<DestIndex> table_;
  unsigned shift_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_dh(const SchedConfig&) { return std::make_unique<Dh>(); }

}  // namespace fulcrum::ipvs::sched
