#include "test_eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace fulcrum::test {
namespace {

// Two CPUs this process may run on (the same one twice if it has only one), so that the four lcores
// oversubscribe whatever the test runner left us rather than assume CPUs 0 and 1.
std::pair<int, int> two_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int first = -1, second = -1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE && second < 0; ++cpu) {
      if (!CPU_ISSET(cpu, &set)) continue;
      (first < 0 ? first : second) = cpu;
    }
  }
  if (first < 0) first = 0;
  if (second < 0) second = first;
  return {first, second};
}

bool start_eal() {
  const auto [a, b] = two_cpus();
  // EAL keeps pointers into argv, and may permute it: storage for the life of the process.
  static std::vector<std::string> args;
  static std::vector<char*> argv;
  args = {
      "unit_test",
      "--no-pci",
      "--no-huge",
      "-m",
      "256",
      "--no-shconf",
      "--no-telemetry",
      "--file-prefix",
      "fulcrum-ut-" + std::to_string(getpid()),
      "--lcores=0@" + std::to_string(a) + ",1@" + std::to_string(b) + ",2@" + std::to_string(a) + ",3@" +
          std::to_string(b),
      "--main-lcore",
      "0",
      "--log-level",
      "warning",
  };
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return false;
  }
  // EAL leaves its (empty, with --no-shconf) runtime directory behind: one per test process adds up.
  static std::string runtime_dir = rte_eal_get_runtime_dir();
  std::atexit([] {
    rte_eal_cleanup();
    rmdir(runtime_dir.c_str());
  });
  return true;
}

}  // namespace

void ensure_eal() {
  static const bool ok = start_eal();  // once per process, even if it failed: EAL can not be retried
  if (!ok) throw std::runtime_error("EAL did not start (see stderr)");
}

std::vector<unsigned> eal_workers() {
  std::vector<unsigned> out;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) out.push_back(lcore);
  return out;
}

LcoreLoops::LcoreLoops(std::vector<unsigned> lcores, Body body, bool busy)
    : lcores_(std::move(lcores)), body_(std::move(body)), busy_(busy) {
  for (unsigned lcore : lcores_) {
    const int rc = rte_eal_remote_launch(&LcoreLoops::entry, this, lcore);
    if (rc != 0) {
      stop();
      throw std::runtime_error("rte_eal_remote_launch on lcore " + std::to_string(lcore) + ": " +
                               rte_strerror(-rc));
    }
    launched_.push_back(lcore);
  }
}

LcoreLoops::~LcoreLoops() { stop(); }

void LcoreLoops::stop() {
  stop_.store(true, std::memory_order_release);
  for (unsigned lcore : launched_) rte_eal_wait_lcore(lcore);
  launched_.clear();
}

int LcoreLoops::entry(void* arg) {
  auto* self = static_cast<LcoreLoops*>(arg);
  const unsigned lcore = rte_lcore_id();
  // The default 50 us timer slack would turn every short idle sleep into a long one.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  while (!self->stop_.load(std::memory_order_acquire)) {
    if (self->body_(lcore) == 0 && !self->busy_) std::this_thread::sleep_for(std::chrono::microseconds(5));
  }
  return 0;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

}  // namespace fulcrum::test
