#pragma once
// The bucket table that sh and dh hash into: each dest gets a number of buckets in proportion to its share.

#include <cstdint>
#include <span>
#include <vector>

#include "fulcrum/ipvs/scheduler.hpp"

namespace fulcrum::ipvs::sched {

// A table of 2^k buckets for `shares` (one per dest, 0: no bucket). Each dest with a share gets one bucket,
// and the rest are split in proportion to the shares by largest remainder (ties to the earlier dest in
// identity order), so every dest's count is within one bucket of its exact share. The size is 64 buckets per
// dest with a share, rounded up to a power of two, at least the kernel's 256 and at most 2^20: unlike the
// kernel's fixed 256, a set of more than 256 dests still gets every one of them in. The layout follows the
// identity order, so it does not depend on the order of `shares`. Empty when no dest has a share.
std::vector<DestIndex> build_bucket_table(std::span<const Dest> dests, std::span<const uint32_t> shares);

}  // namespace fulcrum::ipvs::sched
