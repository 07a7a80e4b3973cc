// mh: Maglev hashing (Eisenbud et al., NSDI 2016, section 3.4), with the kernel's pick semantics: a client's
// address (and port, with kSchedPort) is hashed to one slot of a lookup table of prime size M (65537 by
// default) that holds a dest in each slot. A client whose dest is overloaded gets kNoDest, or with
// kSchedFallback the first available dest along its own probe sequence through the table.
//
// The table: every dest with a weight has a preference list, a permutation of the slots given by two hashes
// of its identity, offset = h1 % M and skip = h2 % (M - 1) + 1. Dests take turns claiming their next
// preferred free slot until the table is full; a dest's k-th turn comes at virtual time k / weight (ties in
// identity order), so each holds slots in proportion to its weight, within one slot. Because the preferences
// do not depend on the other dests, adding or removing one dest moves little more than that dest's share of
// the clients, where rebuilding a modulo table would move almost all of them.
//
// The table depends only on the set of (identity, weight) pairs: not on the order the dests were added, and
// not on history (the kernel keeps a quiesced dest's slots through its last_weight; here weight 0 gives up its
// slots, so that a balancer that restarts builds the same table as its peers). The hashes are SipHash with
// fixed keys, so every balancer on the same ECMP route builds the same table and picks the same dest.

#include <queue>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "factories.hpp"
#include "hash_keys.hpp"

namespace fulcrum::ipvs::sched {
namespace {

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  for (uint64_t f = 2; f * f <= n; ++f)
    if (n % f == 0) return false;
  return true;
}

// A dest's next turn in the fill, at virtual time turn / weight.
struct Turn {
  uint64_t turn;
  uint64_t weight;
  uint32_t member;  // index in identity order, which breaks ties
};

// Orders the priority queue so that its top is the earliest turn.
struct LaterTurn {
  bool operator()(const Turn& a, const Turn& b) const {
    const uint64_t ta = a.turn * b.weight;  // turns <= 2^24, weights < 2^16: no overflow
    const uint64_t tb = b.turn * a.weight;
    return ta != tb ? ta > tb : a.member > b.member;
  }
};

class Mh final : public SchedulerBase<Mh> {
 public:
  Mh(uint32_t flags, uint32_t size) : size_(size), fallback_(flags & kSchedFallback), port_(flags & kSchedPort) {
    if (size < 3 || size > (1u << 24) || !is_prime(size))
      throw std::invalid_argument("mh: the table size " + std::to_string(size) +
                                  " is not a prime between 3 and 2^24");
  }

  std::string_view name() const noexcept override { return "mh"; }

  void rebuild(std::span<const Dest> dests) override {
    validate_dests(dests);
    std::vector<DestIndex> members;
    for (DestIndex i : identity_order(dests))
      if (dests[i].weight > 0) members.push_back(i);
    if (members.size() > size_)
      throw std::invalid_argument("mh: " + std::to_string(members.size()) + " dests do not fit a table of " +
                                  std::to_string(size_));
    std::vector<DestIndex> table;
    if (!members.empty()) table = populate(dests, members);
    table_ = std::move(table);
    dests_ = dests;
  }

  DestIndex pick(const SchedInput& in) noexcept override {
    if (table_.empty()) return kNoDest;
    const uint64_t h = hash_client(in, port_);
    uint32_t slot = reduce(static_cast<uint32_t>(h >> 32), size_);
    DestIndex d = table_[slot];
    if (is_available(dests_[d])) return d;
    if (!fallback_) return kNoDest;
    // Any stride in [1, M - 1] visits every slot of a prime table; each client has its own.
    const uint32_t stride = 1 + reduce(static_cast<uint32_t>(h), size_ - 1);
    for (uint32_t k = 1; k < size_; ++k) {
      if (k == kProbesBeforeCheck && !any_available(dests_)) return kNoDest;
      slot += stride;
      if (slot >= size_) slot -= size_;
      d = table_[slot];
      if (is_available(dests_[d])) return d;
    }
    return kNoDest;
  }

 private:
  std::vector<DestIndex> populate(std::span<const Dest> dests, const std::vector<DestIndex>& members) const {
    const size_t n = members.size();
    std::vector<uint32_t> next(n);  // each member's next preferred slot
    std::vector<uint32_t> skip(n);
    bool equal_weights = true;
    for (size_t m = 0; m < n; ++m) {
      const DestId& id = dests[members[m]].id;
      next[m] = static_cast<uint32_t>(hash_dest(id, kMhOffsetKey) % size_);
      skip[m] = static_cast<uint32_t>(hash_dest(id, kMhSkipKey) % (size_ - 1)) + 1;
      equal_weights &= dests[members[m]].weight == dests[members[0]].weight;
    }
    // Probes test a bitmap (8 KiB for the default size, so it stays in L1) rather than the table itself.
    std::vector<uint64_t> taken((size_ + 63) / 64);
    std::vector<DestIndex> table(size_);
    auto claim = [&](size_t m) {
      uint32_t slot = next[m];
      while (taken[slot / 64] & (uint64_t{1} << (slot % 64))) {
        slot += skip[m];
        if (slot >= size_) slot -= size_;
      }
      taken[slot / 64] |= uint64_t{1} << (slot % 64);
      table[slot] = members[m];
      next[m] = slot;
    };

    if (equal_weights) {
      // Every turn falls at the same times for all, so the order is plain round robin in identity order: the
      // same table the queue below would give, without its cost.
      for (uint32_t filled = 0; filled < size_;)
        for (size_t m = 0; m < n && filled < size_; ++m, ++filled) claim(m);
      return table;
    }
    std::priority_queue<Turn, std::vector<Turn>, LaterTurn> turns;
    for (size_t m = 0; m < n; ++m) turns.push(Turn{1, dests[members[m]].weight, static_cast<uint32_t>(m)});
    for (uint32_t filled = 0; filled < size_; ++filled) {
      Turn t = turns.top();
      turns.pop();
      claim(t.member);
      ++t.turn;
      turns.push(t);
    }
    return table;
  }

  std::vector<DestIndex> table_;  // size_ slots, or empty when no dest has a weight
  uint32_t size_;
  bool fallback_;
  bool port_;
};

}  // namespace

std::unique_ptr<Scheduler> make_mh(const SchedConfig& config) {
  return std::make_unique<Mh>(config.flags, config.mh_table_size);
}

}  // namespace fulcrum::ipvs::sched
