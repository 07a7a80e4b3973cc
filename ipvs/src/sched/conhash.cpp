// conhash: consistent hashing on a ring, as Jupiter and DPVS offer it. Each dest with a weight puts
// weight * replicas points on a 32-bit ring (replicas: SchedConfig::conhash_replicas, 160 by default), at
// SipHash values of its identity and the point's number; a client's address (and port, with kSchedPort)
// hashes to a place on the ring, and the first point at or after it names the dest. A client whose dest is
// overloaded gets kNoDest, or with kSchedFallback the next available dest clockwise.
//
// A dest's points depend only on its identity and weight, so adding or removing a dest moves only the clients
// between its points and their predecessors: about its share. The ring is sorted by position and identity, so
// every balancer builds the same ring whatever order the dests came in. A dest of weight 0 has no points: its
// clients move on to the next dest clockwise.
//
// The ring holds at most 2^20 points (8 MiB); above that every dest's count is scaled down in proportion,
// which moves more clients on a change. An index of the ring by the top bits of the position makes a pick
// O(1): one index load and a short scan of a few points.

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "factories.hpp"
#include "hash_keys.hpp"

namespace fulcrum::ipvs::sched {
namespace {

constexpr uint64_t kMaxPoints = uint64_t{1} << 20;
constexpr uint64_t kPointsPerBucket = 4;

// A stable LSD radix sort on the top 32 bits, a byte at a time: a few times faster than std::sort for the
// hundreds of thousands of points a large set has.
void sort_by_position(std::vector<uint64_t>& keys) {
  std::vector<uint64_t> spare(keys.size());
  for (unsigned shift = 32; shift < 64; shift += 8) {
    size_t start[257] = {};
    for (uint64_t k : keys) ++start[((k >> shift) & 0xff) + 1];
    for (unsigned b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (uint64_t k : keys) spare[start[(k >> shift) & 0xff]++] = k;
    keys.swap(spare);
  }
}

struct Point {
  uint32_t pos;
  DestIndex dest;
};

class Conhash final : public SchedulerBase<Conhash> {
 public:
  Conhash(uint32_t flags, uint32_t replicas)
      : replicas_(replicas), fallback_(flags & kSchedFallback), port_(flags & kSchedPort) {
    if (replicas == 0 || replicas > 65536)
      throw std::invalid_argument("conhash: replicas " + std::to_string(replicas) + " is not in [1, 65536]");
  }

  std::string_view name() const noexcept override { return "conhash"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<DestIndex> members;  // identity order; a member's rank is its place here
    uint64_t total = 0;
    for (DestIndex i : identity_order(dests)) {
      if (dests[i].weight == 0) continue;
      members.push_back(i);
      total += uint64_t{dests[i].weight} * replicas_;
    }
    // Points as (position << 32 | identity rank), made in rank order; a stable sort by position then leaves
    // equal positions in rank order, the same on every balancer.
    std::vector<uint64_t> keys;
    keys.reserve(std::min<uint64_t>(total, kMaxPoints + members.size()));
    for (size_t m = 0; m < members.size(); ++m) {
      const Dest& d = dests[members[m]];
      uint64_t count = uint64_t{d.weight} * replicas_;
      if (total > kMaxPoints) count = std::max<uint64_t>(1, count * kMaxPoints / total);
      for (uint32_t j = 0; j < count; ++j) {
        const uint64_t h = KeyBytes(d.id.family, d.id.addr).add_port(d.id.port).add_u32(j).hash(kRingKey);
        keys.push_back((h & 0xffffffff00000000ull) | m);
      }
    }
    sort_by_position(keys);
    std::vector<Point> ring(keys.size());
    for (size_t p = 0; p < keys.size(); ++p)
      ring[p] = Point{static_cast<uint32_t>(keys[p] >> 32), members[keys[p] & 0xffffffffu]};

    // index[b] is the first point whose position's top bits are b or more; about kPointsPerBucket points a
    // bucket, so that a pick reads one index entry and one cache line of the ring.
    const uint64_t buckets = std::bit_ceil(std::max<uint64_t>(ring.size() / kPointsPerBucket, 1));
    const unsigned shift = 32 - std::countr_zero(buckets);
    std::vector<uint32_t> index(buckets + 1);
    size_t p = 0;
    for (uint64_t b = 0; b <= buckets; ++b) {
      while (p < ring.size() && (uint64_t{ring[p].pos} >> shift) < b) ++p;
      index[b] = static_cast<uint32_t>(p);
    }
    ring_ = std::move(ring);
    index_ = std::move(index);
    shift_ = shift;
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    if (ring_.empty()) return kNoDest;
    const uint32_t key = static_cast<uint32_t>(hash_client(in, port_) >> 32);
    const uint64_t bucket = uint64_t{key} >> shift_;
    size_t i = index_[bucket];
    const size_t end = index_[bucket + 1];
    while (i < end && ring_[i].pos < key) ++i;
    if (i == ring_.size()) i = 0;
    DestIndex d = ring_[i].dest;
    if (is_available(dests_[d])) return d;
    if (!fallback_) return kNoDest;
    for (size_t k = 1; k < ring_.size(); ++k) {
      if (k == kProbesBeforeCheck && !any_available(dests_)) return kNoDest;
      if (++i == ring_.size()) i = 0;
      d = ring_[i].dest;
      if (is_available(dests_[d])) return d;
    }
    return kNoDest;
  }

 private:
  std::vector<Point> ring_;     // sorted by position, then identity
  std::vector<uint32_t> index_;  // 2^k + 1 entries
  unsigned shift_ = 32;
  uint32_t replicas_;
  bool fallback_;
  bool port_;
};

}  // namespace

std::unique_ptr<Scheduler> make_conhash(const SchedConfig& config) {
  return std::make_unique<Conhash>(config.flags, config.conhash_replicas);
}

}  // namespace fulcrum::ipvs::sched
