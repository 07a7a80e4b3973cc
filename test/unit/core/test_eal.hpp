#pragma once
// EAL for unit tests. ctest runs each test case in its own process and lists the cases by running the binary,
// so EAL starts lazily, on the first ensure_eal() of a process, never from a static constructor.

#include <atomic>
#include <chrono>
#include <functional>
#include <vector>

namespace fulcrum::test {

// Starts EAL once per process: lcore 0 is the main lcore (the calling thread), lcores 1..3 are workers,
// spread over at most two of the CPUs the process may use. No PCI, no hugepages, a file prefix unique to
// the process. Throws std::runtime_error when EAL fails.
void ensure_eal();

// The worker lcores EAL started (1, 2, 3).
std::vector<unsigned> eal_workers();

// Runs `body` over and over on each of `lcores` until stop(): the body returns how much work it did, and the
// loop sleeps a few microseconds when it did none, because test lcores share the CPUs. With busy = true it
// never sleeps (benchmarks on an lcore with a CPU to itself). The destructor stops and joins, so a failing
// REQUIRE never leaves an lcore running.
class LcoreLoops {
 public:
  using Body = std::function<unsigned(unsigned lcore)>;
  LcoreLoops(std::vector<unsigned> lcores, Body body, bool busy = false);
  ~LcoreLoops();
  LcoreLoops(const LcoreLoops&) = delete;
  LcoreLoops& operator=(const LcoreLoops&) = delete;

  // Idempotent. Returns after every lcore has left its loop.
  void stop();

 private:
  static int entry(void* arg);

  std::vector<unsigned> lcores_;
  Body body_;
  bool busy_;
  std::atomic<bool> stop_{false};
  std::vector<unsigned> launched_;
};

// Polls `done` (sleeping briefly between tries) until it holds or `limit` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace fulcrum::test
