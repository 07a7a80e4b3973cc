#include "replicator.hpp"

#include <time.h>

#include <cerrno>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_pause.h>

namespace fulcrum::inet {
namespace {

// Spinning costs nothing while a worker answers within microseconds; past this the master sleeps between
// looks, because a worker may share its CPU (lcores.cpu_map).
constexpr uint64_t kSpinNs = 50'000;
constexpr long kNapNs = 20'000;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Replicator::Replicator(core::MessageBus& bus, const std::vector<unsigned>& workers, uint16_t msg_id, ApplyFn apply,
                       void* ctx)
    : bus_(bus),
      workers_(workers),
      apply_(apply),
      ctx_(ctx),
      state_(std::make_unique<WorkerState[]>(workers.size())),
      backlog_(workers.size()) {
  type_ = core::MsgType<TableMsg>::define<Replicator, &Replicator::on_msg>(bus, msg_id, "inet.table", this);
}

int Replicator::on_msg(Replicator* self, const TableMsg& msg, core::NoReply&) {
  const unsigned lcore = rte_lcore_id();
  for (unsigned w = 0; w < self->workers_.size(); ++w) {
    if (self->workers_[w] != lcore) continue;
    self->apply_(self->ctx_, w, msg);
    self->state_[w].applied.store(msg.seq, std::memory_order_release);
    return 0;
  }
  return EINVAL;
}

bool Replicator::send_or_park(unsigned w, const TableMsg& msg) {
  if (backlog_[w].empty() && type_->send(workers_[w], msg) == 0) return true;
  backlog_[w].push_back(msg);
  ++stats_.backlogged;
  return false;
}

uint64_t Replicator::push(TableMsg msg) {
  msg.seq = ++seq_;
  ++stats_.changes;
  for (unsigned w = 0; w < workers_.size(); ++w) {
    if (!sealed_) {
      apply_(ctx_, w, msg);
      state_[w].applied.store(msg.seq, std::memory_order_release);
    } else {
      send_or_park(w, msg);
    }
  }
  return msg.seq;
}

uint64_t Replicator::push_all(const std::vector<TableMsg>& msgs) {
  for (const auto& m : msgs) push(m);
  return seq_;
}

uint32_t Replicator::drain() {
  uint32_t sent = 0;
  for (unsigned w = 0; w < workers_.size(); ++w) {
    auto& q = backlog_[w];
    while (!q.empty() && type_->send(workers_[w], q.front()) == 0) {
      q.pop_front();
      ++sent;
    }
  }
  return sent;
}

int Replicator::wait(uint64_t seq, std::chrono::microseconds timeout, std::string* err) {
  const uint64_t start = now_ns();
  const uint64_t limit = static_cast<uint64_t>(timeout.count()) * 1000;
  for (;;) {
    drain();
    bool all = true;
    for (unsigned w = 0; w < workers_.size() && all; ++w) all = applied(w) >= seq;
    const uint64_t elapsed = now_ns() - start;
    if (all) {
      ++stats_.waits;
      stats_.last_ns = elapsed;
      stats_.total_ns += elapsed;
      if (elapsed > stats_.max_ns) stats_.max_ns = elapsed;
      return 0;
    }
    if (elapsed >= limit) break;
    if (elapsed < kSpinNs) {
      rte_pause();
    } else {
      const timespec nap{0, kNapNs};
      nanosleep(&nap, nullptr);
    }
  }
  ++stats_.timeouts;
  if (err != nullptr) {
    std::string behind;
    for (unsigned w = 0; w < workers_.size(); ++w) {
      if (applied(w) < seq) behind += (behind.empty() ? "" : ", ") + std::to_string(workers_[w]);
    }
    *err = "worker lcore(s) " + behind + " did not apply the change within " +
           std::to_string(timeout.count() / 1000) + " ms (they will when they poll their inbox)";
  }
  return ETIMEDOUT;
}

}  // namespace fulcrum::inet
