#pragma once
// The master/worker runtime. Each lcore runs a loop of jobs registered before start; workers do packet work,
// the master does control work. A loop in which no job did any work is an empty poll: its cycles count as
// idle, and in idle-sleep mode a run of empty polls puts the lcore to sleep for a while.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/core/timer_wheel.hpp"

namespace fulcrum::core {

// Returns how much work it did (packets, messages, ...); 0 means it found nothing to do.
using JobFn = uint32_t (*)(void* ctx);

struct Job {
  enum class When : uint8_t { every_loop, every_n_loops, every_interval };
  const char* name = "";
  JobFn fn = nullptr;
  void* ctx = nullptr;
  When when = When::every_loop;
  uint32_t n = 1;            // every_n_loops
  uint32_t interval_us = 0;  // every_interval: the slow tick
};

enum class PollMode : uint8_t { busy, idle_sleep };

struct PollingConfig {
  PollMode mode = PollMode::idle_sleep;
  uint32_t idle_sleep_us = 100;      // the first sleep after a run of empty polls
  uint32_t idle_sleep_max_us = 1000;  // sleeps double while the lcore stays idle, up to this
  uint32_t idle_polls_before_sleep = 256;
};

enum class LcoreRole : uint8_t { master = 1, worker = 2 };

// Written by the owning lcore only, read by anyone: plain stores of aligned 64-bit words.
struct alignas(64) LcoreLoad {
  std::atomic<uint64_t> work_cycles{0};
  std::atomic<uint64_t> idle_cycles{0};
  std::atomic<uint64_t> loops{0};
  std::atomic<uint64_t> sleeps{0};
};

struct LcoreLoadSnapshot {
  unsigned lcore = 0;
  LcoreRole role = LcoreRole::worker;
  uint64_t work_cycles = 0;
  uint64_t idle_cycles = 0;
  uint64_t loops = 0;
  uint64_t sleeps = 0;
  uint32_t recent_load_permille = 0;  // share of work cycles over the last sampling interval (1 s)
};

struct RuntimeConfig {
  unsigned master = 0;
  std::vector<unsigned> workers;
  PollingConfig polling;
  uint32_t timer_tick_us = 1000;
  unsigned bus_ring_size = 4096;
};

class Runtime {
 public:
  // Needs rte_eal_init done, with every lcore in `cfg` enabled and the calling thread on cfg.master.
  explicit Runtime(const RuntimeConfig& cfg);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  unsigned master() const { return cfg_.master; }
  const std::vector<unsigned>& workers() const { return cfg_.workers; }
  // 0..workers()-1 for a worker, -1 for anything else.
  int worker_index(unsigned lcore) const;
  const RuntimeConfig& config() const { return cfg_; }

  // Jobs are added before run(). Throws std::logic_error after.
  void add_job(unsigned lcore, const Job& job);
  void add_master_job(const Job& job) { add_job(cfg_.master, job); }
  void add_worker_job(const Job& job);  // on every worker

  MessageBus& bus() { return *bus_; }
  TimerWheel& timers(unsigned lcore);
  const TickClock& clock() const { return clock_; }

  // Launches the workers, runs the master loop on the calling thread until request_stop(), then stops and
  // joins the workers. Returns 0, or non-zero if a worker could not be launched.
  int run();
  // Async-signal-safe.
  void request_stop() { stop_.store(true, std::memory_order_relaxed); }
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  std::vector<LcoreLoadSnapshot> load() const;

 private:
  struct Lcore;
  static int worker_main(void* arg);
  void loop(Lcore& lc);
  void sample_load();

  RuntimeConfig cfg_;
  TickClock clock_;
  std::unique_ptr<MessageBus> bus_;
  std::vector<std::unique_ptr<Lcore>> lcores_;  // indexed by lcore id, null for unused lcores
  std::atomic<bool> stop_{false};
  bool started_ = false;
};

}  // namespace fulcrum::core
