#pragma once
// Helpers for the scheduler tests: dests and clients from small numbers, a fast generator for random
// clients, and pick sequences as letters (dest 0 is A).

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fulcrum/ipvs/scheduler.hpp"
#include "fulcrum/ipvs/scheduler_registry.hpp"

namespace sched_test {

using fulcrum::ipvs::Dest;
using fulcrum::ipvs::DestId;
using fulcrum::ipvs::DestIndex;
using fulcrum::ipvs::Family;
using fulcrum::ipvs::IpAddr;
using fulcrum::ipvs::kNoDest;
using fulcrum::ipvs::SchedConfig;
using fulcrum::ipvs::Scheduler;
using fulcrum::ipvs::SchedInput;

// Fast at -O0, unlike <random>, which matters for the 100k-client cases.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
};

// 10.0.<i / 250>.<i % 250 + 1>:80
inline Dest dest_v4(uint32_t i, uint32_t weight = 1) {
  Dest d;
  d.id.family = Family::v4;
  d.id.addr = IpAddr::v4(0x0a000000u + ((i / 250) << 8) + (i % 250) + 1);
  d.id.port = fulcrum::ipvs::port_be(80);
  d.weight = weight;
  return d;
}

inline std::vector<Dest> dests_with_weights(std::vector<uint32_t> weights) {
  std::vector<Dest> out;
  for (size_t i = 0; i < weights.size(); ++i) out.push_back(dest_v4(static_cast<uint32_t>(i), weights[i]));
  return out;
}

inline std::vector<Dest> equal_dests(uint32_t n) { return dests_with_weights(std::vector<uint32_t>(n, 1)); }

inline SchedInput client_v4(uint32_t addr, uint16_t port = 40000) {
  SchedInput in;
  in.family = Family::v4;
  in.saddr = IpAddr::v4(addr);
  in.daddr = IpAddr::v4(192, 0, 2, 1);
  in.sport = fulcrum::ipvs::port_be(port);
  in.dport = fulcrum::ipvs::port_be(80);
  in.protocol = 6;
  return in;
}

inline SchedInput random_client(SplitMix& rng) {
  SchedInput in = client_v4(static_cast<uint32_t>(rng.next()), static_cast<uint16_t>(1024 + rng.below(60000)));
  if (rng.below(4) == 0) {  // a quarter IPv6
    in.family = Family::v6;
    const uint64_t a = rng.next();
    const uint64_t b = rng.next();
    for (int i = 0; i < 8; ++i) {
      in.saddr.bytes[i] = static_cast<uint8_t>(a >> (8 * i));
      in.saddr.bytes[8 + i] = static_cast<uint8_t>(b >> (8 * i));
    }
  }
  return in;
}

inline std::vector<SchedInput> random_clients(size_t n, uint64_t seed) {
  SplitMix rng{seed};
  std::vector<SchedInput> out(n);
  for (auto& in : out) in = random_client(rng);
  return out;
}

// The scheduler stays bound to `dests`, which must outlive it: a temporary is refused.
inline std::unique_ptr<Scheduler> make(const char* name, const std::vector<Dest>& dests, SchedConfig config = {}) {
  auto s = fulcrum::ipvs::make_scheduler(name, config);
  s->rebuild(dests);
  return s;
}
std::unique_ptr<Scheduler> make(const char* name, std::vector<Dest>&& dests, SchedConfig config = {}) = delete;

// n picks with one input, as letters: A for dest 0, '-' for none.
inline std::string sequence(Scheduler& s, int n, const SchedInput& in = client_v4(1)) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const DestIndex d = s.pick(in);
    out += d == kNoDest ? '-' : static_cast<char>('A' + d);
  }
  return out;
}

// For each client, the identity of the dest it gets (a default DestId for none), so that results can be
// compared across sets in different orders.
inline std::vector<DestId> placements(Scheduler& s, const std::vector<Dest>& dests,
                                      const std::vector<SchedInput>& clients) {
  std::vector<DestId> out;
  out.reserve(clients.size());
  for (const SchedInput& in : clients) {
    const DestIndex d = s.pick(in);
    out.push_back(d == kNoDest ? DestId{} : dests[d].id);
  }
  return out;
}

inline std::vector<size_t> counts_per_dest(Scheduler& s, size_t n_dests, const std::vector<SchedInput>& clients) {
  std::vector<size_t> counts(n_dests + 1);  // the last counts kNoDest
  for (const SchedInput& in : clients) {
    const DestIndex d = s.pick(in);
    ++counts[d == kNoDest ? n_dests : d];
  }
  return counts;
}

inline double moved_fraction(const std::vector<DestId>& before, const std::vector<DestId>& after) {
  size_t moved = 0;
  for (size_t i = 0; i < before.size(); ++i) moved += before[i] != after[i];
  return static_cast<double>(moved) / static_cast<double>(before.size());
}

template <class T>
void shuffle(std::vector<T>& v, uint64_t seed) {
  SplitMix rng{seed};
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(static_cast<uint32_t>(i))]);
}

}  // namespace sched_test
