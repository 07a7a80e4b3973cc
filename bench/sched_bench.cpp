// Costs of the ipvs schedulers: ns per pick, and the control-path cost of a rebuild and a clone, with N dests
// (default 1000) of equal weight. sched_bench [dests] [scheduler]. Figures come from a Release tree; they say nothing
// about the packet path around a pick.
//
// The counter-reading schedulers (lc, wlc, ...) scan every dest on each pick, as the kernel's do, so their
// cost grows with N; rr and wrr are O(1) per pick, the hashing ones O(1) after one SipHash of the client.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "bench_util.hpp"
#include "fulcrum/ipvs/scheduler_registry.hpp"

using fulcrum::ipvs::Dest;
using fulcrum::ipvs::DestIndex;
using fulcrum::ipvs::SchedInput;

namespace {

using fulcrum::bench::SplitMix;
using fulcrum::bench::seconds_since;

void report(const char* what, const char* name, double seconds, uint64_t ops, const char* unit) {
  const double per = seconds / static_cast<double>(ops);
  std::printf("%-8s %-28s %10.1f %s  (%llu ops, %.3f s)\n", name, what, unit[0] == 'n' ? per * 1e9 : per * 1e6,
              unit, static_cast<unsigned long long>(ops), seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : 1000;
  const std::string_view only = argc > 2 ? argv[2] : "";

  std::vector<Dest> dests(n);
  for (size_t i = 0; i < n; ++i) {
    dests[i].id.addr = fulcrum::ipvs::IpAddr::v4(0x0a000000u + static_cast<uint32_t>(i) + 1);
    dests[i].id.port = fulcrum::ipvs::port_be(80);
  }
  // 64k clients, cycled: random sources, as a hashing scheduler sees them.
  SplitMix rng{1};
  std::vector<SchedInput> clients(1 << 16);
  for (auto& in : clients) {
    in.saddr = fulcrum::ipvs::IpAddr::v4(static_cast<uint32_t>(rng.next()));
    in.sport = static_cast<uint16_t>(rng.next());
  }

  std::printf("%zu dests of weight 1\n", n);
  const uint64_t picks = 20'000'000;
  for (const char* name : {"rr", "wrr", "lc", "wlc", "sh", "mh", "conhash", "twos"}) {
    if (!only.empty() && only != name) continue;
    auto s = fulcrum::ipvs::make_scheduler(name);
    const int rebuilds = 10;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rebuilds; ++r) s->rebuild(dests);
    report("rebuild", name, seconds_since(t0), rebuilds, "us/op");

    t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rebuilds; ++r) s->clone();
    report("clone", name, seconds_since(t0), rebuilds, "us/op");

    // The schedulers that scan every dest get fewer picks, so the run stays short.
    const std::string_view nm = name;
    const uint64_t count = nm == "lc" || nm == "wlc" || nm == "twos" ? picks / 50 : picks;
    uint64_t sum = 0;
    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < count; ++i) {
      const DestIndex d = s->pick(clients[i & 0xffff]);
      sum += d;
      dests[d].activeconns += (i & 1);  // counters move, as they would
    }
    report("pick", name, seconds_since(t0), count, "ns/op");
    for (auto& d : dests) d.activeconns = 0;
    if (sum == 0) std::printf("(sum 0)\n");
  }
  return 0;
}
