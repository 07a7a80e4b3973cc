#include "fulcrum/core/runtime.hpp"

#include <time.h>

#include <algorithm>
#include <stdexcept>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_errno.h>

#include "fulcrum/core/log.hpp"

namespace fulcrum::core {
namespace {

LogModule g_log("core");

constexpr uint32_t kLoadSampleUs = 1'000'000;
constexpr uint32_t kTimerBudgetPerLoop = 4096;  // a mass expiry must not stall RX for long

}  // namespace

struct Runtime::Lcore {
  struct Scheduled {
    Job job;
    uint64_t countdown_or_deadline = 0;  // loops left (every_n_loops) or next TSC (every_interval)
    uint64_t interval_cycles = 0;
  };

  Lcore(Runtime* rt, unsigned lcore_id, LcoreRole r, uint32_t now_tick)
      : runtime(rt), id(lcore_id), role(r), timers(now_tick) {}

  Runtime* runtime;
  unsigned id;
  LcoreRole role;
  std::vector<Job> every_loop;
  std::vector<Scheduled> every_n;
  std::vector<Scheduled> every_interval;
  TimerWheel timers;
  LcoreLoad load;
  // Read and written by the master's sampling job only.
  uint64_t sampled_work = 0;
  uint64_t sampled_idle = 0;
  std::atomic<uint32_t> recent_permille{0};
};

Runtime::Runtime(const RuntimeConfig& cfg) : cfg_(cfg), clock_(cfg.timer_tick_us) {
  if (rte_lcore_id() != cfg_.master) {
    throw std::logic_error("Runtime must be created on the master lcore " + std::to_string(cfg_.master));
  }
  lcores_.resize(RTE_MAX_LCORE);
  const auto add = [&](unsigned id, LcoreRole role) {
    if (id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id)) {
      throw std::invalid_argument("lcore " + std::to_string(id) + " is not enabled in EAL");
    }
    lcores_[id] = std::make_unique<Lcore>(this, id, role, clock_.now());
  };
  add(cfg_.master, LcoreRole::master);
  for (unsigned w : cfg_.workers) add(w, LcoreRole::worker);

  bus_ = std::make_unique<MessageBus>(cfg_.master, cfg_.workers, cfg_.bus_ring_size);

  const Job bus_job{"bus.poll", [](void* bus) -> uint32_t { return static_cast<MessageBus*>(bus)->poll(); },
                    bus_.get()};
  add_master_job(bus_job);
  add_worker_job(bus_job);
  add_master_job({"runtime.sample_load",
                  [](void* rt) -> uint32_t {
                    static_cast<Runtime*>(rt)->sample_load();
                    return 0;  // bookkeeping, not work: it must not make an idle master look busy
                  },
                  this, Job::When::every_interval, 1, kLoadSampleUs});
}

Runtime::~Runtime() = default;

int Runtime::worker_index(unsigned lcore) const {
  for (size_t i = 0; i < cfg_.workers.size(); ++i) {
    if (cfg_.workers[i] == lcore) return static_cast<int>(i);
  }
  return -1;
}

void Runtime::add_job(unsigned lcore, const Job& job) {
  if (started_) throw std::logic_error(std::string("job ") + job.name + " added after the lcores started");
  if (lcore >= lcores_.size() || !lcores_[lcore]) {
    throw std::invalid_argument(std::string("job ") + job.name + ": lcore " + std::to_string(lcore) + " is not in use");
  }
  if (job.fn == nullptr) throw std::invalid_argument(std::string("job ") + job.name + " has no function");
  Lcore& lc = *lcores_[lcore];
  switch (job.when) {
    case Job::When::every_loop:
      lc.every_loop.push_back(job);
      break;
    case Job::When::every_n_loops:
      if (job.n == 0) throw std::invalid_argument(std::string("job ") + job.name + ": n must be at least 1");
      lc.every_n.push_back({job, job.n, 0});
      break;
    case Job::When::every_interval: {
      if (job.interval_us == 0) throw std::invalid_argument(std::string("job ") + job.name + ": interval_us is 0");
      const uint64_t cycles = rte_get_tsc_hz() * job.interval_us / 1'000'000;
      lc.every_interval.push_back({job, rte_get_tsc_cycles() + cycles, cycles});
      break;
    }
  }
}

void Runtime::add_worker_job(const Job& job) {
  for (unsigned w : cfg_.workers) add_job(w, job);
}

TimerWheel& Runtime::timers(unsigned lcore) {
  if (lcore >= lcores_.size() || !lcores_[lcore]) {
    throw std::invalid_argument("timers: lcore " + std::to_string(lcore) + " is not in use");
  }
  return lcores_[lcore]->timers;
}

int Runtime::worker_main(void* arg) {
  auto* lc = static_cast<Lcore*>(arg);
  lc->runtime->loop(*lc);
  return 0;
}

// The loop every lcore runs. Cycles of a pass in which some job did work count as work; the rest, including
// sleeps, count as idle, so that load = work / (work + idle) even when an lcore spins at 100%.
void Runtime::loop(Lcore& lc) {
  const PollingConfig& polling = cfg_.polling;
  const bool sleepy = polling.mode == PollMode::idle_sleep;
  uint32_t nap_us = polling.idle_sleep_us;
  const uint64_t cycles_per_tick = rte_get_tsc_hz() / 1'000'000 * cfg_.timer_tick_us;
  uint64_t next_tick_tsc = rte_get_tsc_cycles() + cycles_per_tick;
  uint32_t empty_polls = 0;
  uint64_t start = rte_get_tsc_cycles();

  FLOG(g_log, INFO, "lcore %u (%s) running %zu job(s) every loop", lc.id,
       lc.role == LcoreRole::master ? "master" : "worker", lc.every_loop.size());

  while (!stopping()) {
    uint32_t work = 0;
    for (const Job& job : lc.every_loop) work += job.fn(job.ctx);
    for (auto& s : lc.every_n) {
      if (--s.countdown_or_deadline == 0) {
        s.countdown_or_deadline = s.job.n;
        work += s.job.fn(s.job.ctx);
      }
    }
    uint64_t now = rte_get_tsc_cycles();
    for (auto& s : lc.every_interval) {
      if (now >= s.countdown_or_deadline) {
        s.countdown_or_deadline = now + s.interval_cycles;
        work += s.job.fn(s.job.ctx);
      }
    }
    if (now >= next_tick_tsc) {
      next_tick_tsc = now + cycles_per_tick;
      work += lc.timers.advance(clock_.now(), kTimerBudgetPerLoop);
    }

    now = rte_get_tsc_cycles();
    lc.load.loops.store(lc.load.loops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (work != 0) {
      lc.load.work_cycles.store(lc.load.work_cycles.load(std::memory_order_relaxed) + (now - start),
                                std::memory_order_relaxed);
      empty_polls = 0;
      nap_us = polling.idle_sleep_us;
    } else {
      if (sleepy && ++empty_polls >= polling.idle_polls_before_sleep) {
        // Each wake-up costs the kernel a few microseconds, so a long-idle lcore backs off to fewer of them;
        // the first packet after a quiet spell waits at most idle_sleep_max_us.
        const timespec nap{0, static_cast<long>(nap_us) * 1000};
        nanosleep(&nap, nullptr);
        nap_us = std::min(nap_us * 2, polling.idle_sleep_max_us);
        lc.load.sleeps.store(lc.load.sleeps.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        now = rte_get_tsc_cycles();
      }
      lc.load.idle_cycles.store(lc.load.idle_cycles.load(std::memory_order_relaxed) + (now - start),
                                std::memory_order_relaxed);
    }
    start = now;
  }
}

int Runtime::run() {
  started_ = true;
  bus_->seal();
  int failed = 0;
  for (unsigned w : cfg_.workers) {
    const int rc = rte_eal_remote_launch(&Runtime::worker_main, lcores_[w].get(), w);
    if (rc != 0) {
      FLOG(g_log, ERR, "cannot launch worker lcore %u: %s", w, rte_strerror(-rc));
      failed = rc;
      request_stop();
      break;
    }
  }
  loop(*lcores_[cfg_.master]);
  for (unsigned w : cfg_.workers) rte_eal_wait_lcore(w);
  FLOG(g_log, INFO, "all lcores stopped");
  return failed;
}

void Runtime::sample_load() {
  for (auto& lc : lcores_) {
    if (!lc) continue;
    const uint64_t work = lc->load.work_cycles.load(std::memory_order_relaxed);
    const uint64_t idle = lc->load.idle_cycles.load(std::memory_order_relaxed);
    const uint64_t dw = work - lc->sampled_work;
    const uint64_t di = idle - lc->sampled_idle;
    lc->sampled_work = work;
    lc->sampled_idle = idle;
    lc->recent_permille.store(dw + di == 0 ? 0 : static_cast<uint32_t>(dw * 1000 / (dw + di)),
                              std::memory_order_relaxed);
  }
}

std::vector<LcoreLoadSnapshot> Runtime::load() const {
  std::vector<LcoreLoadSnapshot> out;
  for (const auto& lc : lcores_) {
    if (!lc) continue;
    LcoreLoadSnapshot s;
    s.lcore = lc->id;
    s.role = lc->role;
    s.work_cycles = lc->load.work_cycles.load(std::memory_order_relaxed);
    s.idle_cycles = lc->load.idle_cycles.load(std::memory_order_relaxed);
    s.loops = lc->load.loops.load(std::memory_order_relaxed);
    s.sleeps = lc->load.sleeps.load(std::memory_order_relaxed);
    s.recent_load_permille = lc->recent_permille.load(std::memory_order_relaxed);
    out.push_back(s);
  }
  return out;
}

}  // namespace fulcrum::core
