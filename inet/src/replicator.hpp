#pragma once
// How a table change reaches every worker: one ordered stream of TableMsgs per worker over the message bus.
//
// The master numbers each change (seq) and sends it to every worker's inbox. A worker applies it to its own
// LcoreTables in its bus poll, then publishes the seq it has applied. A change the operator waits for
// (`dpip route add`) is in force everywhere once every worker's applied seq has reached it: wait() spins
// for that, up to a timeout, and the control reply goes back only then. Changes the packet path causes
// (neighbours learnt, resolutions failed) use the same stream without waiting, so the order of all changes
// is the same on every worker.
//
// Nothing is lost: a send that finds an inbox full (or the message pool empty) parks the message in that
// worker's backlog, and every later message for that worker queues behind it until drain(), a master job,
// gets them all through. Before the lcores run (static config at start-up) push() applies changes to the
// workers' tables directly.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/ctrl/proto/inet.hpp"
#include "fulcrum/inet/table_msg.hpp"

namespace fulcrum::inet {

class Replicator {
 public:
  // Applies one change on a worker (from the bus handler, on that worker; or on the master before start).
  using ApplyFn = void (*)(void* ctx, unsigned worker_index, const TableMsg& msg);

  // Declares the bus message `msg_id`; call during init. `workers` as the runtime lists them.
  Replicator(core::MessageBus& bus, const std::vector<unsigned>& workers, uint16_t msg_id, ApplyFn apply, void* ctx);
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Master. Returns the change's seq.
  uint64_t push(TableMsg msg);
  uint64_t push_all(const std::vector<TableMsg>& msgs);
  // Master: until every worker has applied `seq`. 0, or ETIMEDOUT with `err` naming the lcores still behind
  // (they apply it later, when they poll their inbox).
  int wait(uint64_t seq, std::chrono::microseconds timeout, std::string* err);
  // Master job: sends what is parked in the backlogs. Returns how many went.
  uint32_t drain();
  // From now on changes go through the bus (the lcores are about to run).
  void seal() { sealed_ = true; }

  ctrl::inet_msg::SyncStats stats() const { return stats_; }
  uint64_t applied(unsigned worker_index) const { return state_[worker_index].applied.load(std::memory_order_acquire); }
  uint64_t last_seq() const { return seq_; }

 private:
  struct alignas(64) WorkerState {
    std::atomic<uint64_t> applied{0};  // written by the worker, read by the master
  };
  static int on_msg(Replicator* self, const TableMsg& msg, core::NoReply& reply);
  bool send_or_park(unsigned w, const TableMsg& msg);

  core::MessageBus& bus_;
  std::vector<unsigned> workers_;
  std::optional<core::MsgType<TableMsg>> type_;
  ApplyFn apply_;
  void* ctx_;
  std::unique_ptr<WorkerState[]> state_;
  std::vector<std::deque<TableMsg>> backlog_;  // master only
  uint64_t seq_ = 0;
  bool sealed_ = false;
  ctrl::inet_msg::SyncStats stats_{};
};

}  // namespace fulcrum::inet
