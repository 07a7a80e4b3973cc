// Costs of the timer wheel's operations with a million timers: timer_wheel_bench [timers] [span_ticks]
// The timers live in one array, so this measures the wheel, not the cache misses of real connection entries.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "bench_util.hpp"
#include "fulcrum/core/timer_wheel.hpp"

using fulcrum::core::Timer;
using fulcrum::core::TimerWheel;

namespace {

using fulcrum::bench::SplitMix;
using fulcrum::bench::seconds_since;

void count_fire(Timer*, void* ctx) { ++*static_cast<uint64_t*>(ctx); }

void report(const char* what, double seconds, uint64_t ops) {
  std::printf("%-44s %8.1f ns/op  (%llu ops, %.3f s)\n", what, seconds * 1e9 / static_cast<double>(ops),
              static_cast<unsigned long long>(ops), seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : 1'000'000;
  const uint32_t span = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 0)) : 1u << 20;

  SplitMix rng{1};
  std::vector<uint32_t> delays(n);
  std::vector<uint32_t> redelays(n);
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    delays[i] = static_cast<uint32_t>(rng.next() % span);
    redelays[i] = static_cast<uint32_t>(rng.next() % span);
    order[i] = static_cast<uint32_t>(i);
  }
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.next() % (i + 1)]);

  std::vector<Timer> timers(n);
  uint64_t fired = 0;
  auto wheel = std::make_unique<TimerWheel>(0);
  const uint8_t kind = wheel->register_kind(&count_fire, &fired);

  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) wheel->arm(timers[i], kind, delays[i]);
  report("arm (fresh)", seconds_since(t0), n);

  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) wheel->arm(timers[order[i]], kind, redelays[i]);
  report("re-arm an armed timer (random order)", seconds_since(t0), n);

  t0 = std::chrono::steady_clock::now();
  for (uint32_t t = 1; t <= span; ++t) wheel->advance(t);
  report("advance one tick per call, per timer fired", seconds_since(t0), fired);
  if (fired != n || wheel->size() != 0) std::printf("BUG: fired %llu\n", static_cast<unsigned long long>(fired));

  for (size_t i = 0; i < n; ++i) wheel->arm(timers[i], kind, delays[i]);
  fired = 0;
  t0 = std::chrono::steady_clock::now();
  for (uint32_t t = span; t <= 2 * span; t += 1000) wheel->advance(t);
  wheel->advance(2 * span);
  report("advance 1000 ticks per call, per timer fired", seconds_since(t0), fired);

  for (size_t i = 0; i < n; ++i) wheel->arm(timers[i], kind, delays[i]);
  t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) wheel->cancel(timers[order[i]]);
  report("cancel (random order)", seconds_since(t0), n);

  const uint32_t calls = 10'000'000;
  const uint32_t base = wheel->now();
  t0 = std::chrono::steady_clock::now();
  for (uint32_t t = 1; t <= calls; ++t) wheel->advance(base + t);
  report("advance one tick on an empty wheel", seconds_since(t0), calls);

  wheel->arm(timers[0], kind, TimerWheel::kMaxDelay);
  t0 = std::chrono::steady_clock::now();
  for (uint32_t t = 1; t <= calls; ++t) wheel->advance(wheel->now() + 1);
  report("advance one tick, one far timer", seconds_since(t0), calls);
  return 0;
}
