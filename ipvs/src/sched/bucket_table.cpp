#include "bucket_table.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "common.hpp"

namespace fulcrum::ipvs::sched {

std::vector<DestIndex> build_bucket_table(std::span<const Dest> dests, std::span<const uint32_t> shares) {
  std::vector<DestIndex> members;
  uint64_t total_share = 0;
  for (DestIndex i : identity_order(dests)) {
    if (shares[i] == 0) continue;
    members.push_back(i);
    total_share += shares[i];
  }
  if (members.empty()) return {};
  constexpr uint64_t kMinSize = 256;
  constexpr uint64_t kMaxSize = uint64_t{1} << 20;
  const uint64_t size = std::clamp<uint64_t>(std::bit_ceil(members.size() * 64), kMinSize, kMaxSize);
  if (members.size() > size)
    throw std::invalid_argument(std::to_string(members.size()) + " dests do not fit a bucket table");

  // One bucket each, then the rest by largest remainder.
  const uint64_t rest = size - members.size();
  std::vector<uint64_t> count(members.size());
  std::vector<uint64_t> remainder(members.size());
  uint64_t given = members.size();
  for (size_t m = 0; m < members.size(); ++m) {
    const uint64_t exact = rest * shares[members[m]];  // < 2^20 * 2^32
    count[m] = 1 + exact / total_share;
    remainder[m] = exact % total_share;
    given += exact / total_share;
  }
  std::vector<size_t> by_remainder(members.size());
  for (size_t m = 0; m < by_remainder.size(); ++m) by_remainder[m] = m;
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t k = 0; given < size; ++k, ++given) ++count[by_remainder[k]];

  std::vector<DestIndex> table;
  table.reserve(size);
  for (size_t m = 0; m < members.size(); ++m) table.insert(table.end(), count[m], members[m]);
  return table;
}

}  // namespace fulcrum::ipvs::sched
