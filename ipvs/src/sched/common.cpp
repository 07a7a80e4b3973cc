// The checks and the order every rebuild shares.

#include "common.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fulcrum::ipvs::sched {

std::vector<DestIndex> identity_order(std::span<const Dest> dests) {
  std::vector<DestIndex> order(dests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<DestIndex>(i);
  std::sort(order.begin(), order.end(), [&](DestIndex a, DestIndex b) { return dests[a].id < dests[b].id; });
  return order;
}

std::vector<DestIndex> remap_by_identity(std::span<const DestId> old_ids, std::span<const Dest> dests) {
  const std::vector<DestIndex> order = identity_order(dests);
  std::vector<DestIndex> remap(old_ids.size(), kNoDest);
  for (size_t j = 0; j < old_ids.size(); ++j) {
    auto it = std::lower_bound(order.begin(), order.end(), old_ids[j],
                               [&](DestIndex a, const DestId& id) { return dests[a].id < id; });
    if (it != order.end() && dests[*it].id == old_ids[j]) remap[j] = *it;
  }
  return remap;
}

std::vector<DestId> identities(std::span<const Dest> dests) {
  std::vector<DestId> ids(dests.size());
  for (size_t i = 0; i < dests.size(); ++i) ids[i] = dests[i].id;
  return ids;
}

void validate_dests(std::span<const Dest> dests) {
  if (dests.size() >= kNoDest) throw std::invalid_argument("too many dests: " + std::to_string(dests.size()));
  for (const Dest& d : dests) {
    if (d.weight > kMaxWeight)
      throw std::invalid_argument("dest " + to_string(d.id) + ": weight " + std::to_string(d.weight) +
                                  " is above " + std::to_string(kMaxWeight));
  }
  const std::vector<DestIndex> order = identity_order(dests);
  for (size_t i = 1; i < order.size(); ++i) {
    if (dests[order[i - 1]].id == dests[order[i]].id)
      throw std::invalid_argument("dest " + to_string(dests[order[i]].id) + " is listed twice");
  }
}

}  // namespace fulcrum::ipvs::sched
