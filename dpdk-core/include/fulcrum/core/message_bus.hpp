#pragma once
// The message bus: how lcores talk without sharing tables.
//
// Every lcore (master and workers) has one multi-producer/single-consumer rte_ring inbox. A message is a
// fixed-size object from one shared rte_mempool; its payload is copied in, so the sender never shares memory
// with the receiver unless it passes a pointer on purpose (then only with call*, which returns after every
// receiver is done with it).
//
// Types are declared once, at start-up and before any lcore runs, with the exact payload and reply sizes:
// a send whose size differs from the declaration is refused, so a receiver never reads past what was sent.
//
// Synchronous calls (call, call_workers) are for the master only: they wait, spinning, for every reply until
// a timeout. A worker that blocked on another lcore could deadlock the dataplane, so workers only send.
// A reply that comes after its caller gave up is discarded by the replier; nothing is leaked or written late.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

struct rte_mempool;
struct rte_ring;

namespace fulcrum::core {

constexpr uint32_t kMsgPayloadMax = 240;
constexpr uint32_t kMsgReplyMax = 240;
constexpr unsigned kMsgTypeMax = 1024;

// Runs on the receiving lcore. Writes at most the declared reply size into `reply`.
// Returns 0 or a positive errno value, which becomes the reply's status.
using MsgHandler = int (*)(void* ctx, const void* payload, void* reply);

struct MsgReply {
  unsigned lcore = 0;
  int status = 0;                    // handler's status, or ETIMEDOUT / ENOBUFS when it never ran
  std::vector<unsigned char> bytes;  // declared reply size when status is 0, else empty
};

struct CallResult {
  int status = 0;  // 0 when every target replied 0, else the first failure (ETIMEDOUT, ENOBUFS, handler's)
  std::string error;              // "route.add: lcore 2 did not reply within 100 ms"; empty when ok
  std::vector<MsgReply> replies;  // one per target, in the order of the targets
  bool ok() const { return status == 0; }
};

struct BusCounters {
  uint64_t sent = 0;       // messages enqueued by this lcore
  uint64_t received = 0;   // messages handled by this lcore
  uint64_t ring_full = 0;  // sends refused because the target's inbox was full
  uint64_t no_memory = 0;  // sends refused because the message pool was empty
  uint64_t late_replies = 0;  // replies whose caller had already timed out
};

class MessageBus {
 public:
  // The master and every worker get an inbox; `workers` are the lcores that multicast and call_workers reach.
  // `ring_size` is a power of two (an inbox holds ring_size - 1 messages); the pool's `pool_size` messages are
  // shared by all lcores. Throws std::invalid_argument on bad arguments, std::runtime_error when DPDK can not
  // allocate. The bus must outlive every lcore loop that polls or sends on it.
  MessageBus(unsigned master, std::vector<unsigned> workers, unsigned ring_size = 4096, unsigned pool_size = 16383);
  ~MessageBus();
  MessageBus(const MessageBus&) = delete;
  MessageBus& operator=(const MessageBus&) = delete;

  // Declares a type. Throws std::logic_error on a duplicate id, an id >= kMsgTypeMax, a size over the limits,
  // or a call after the lcores started (see seal()).
  void define(uint16_t type, const char* name, uint32_t payload_size, uint32_t reply_size, MsgHandler handler,
              void* ctx);
  // Called by the runtime before workers launch; after it, define() throws.
  void seal() { sealed_ = true; }

  // Asynchronous. Return 0 or a positive errno: EINVAL (undeclared type, wrong size, unknown lcore),
  // ENOBUFS (inbox full), ENOMEM (pool empty).
  int send(unsigned lcore, uint16_t type, const void* payload, uint32_t size);
  // To every worker except the caller; returns the first failure but still tries every worker.
  int multicast(uint16_t type, const void* payload, uint32_t size);

  // Synchronous, master only (EDEADLK otherwise).
  CallResult call(unsigned lcore, uint16_t type, const void* payload, uint32_t size,
                  std::chrono::microseconds timeout);
  CallResult call_workers(uint16_t type, const void* payload, uint32_t size, std::chrono::microseconds timeout);

  // Handles up to `budget` messages from the calling lcore's inbox; returns how many. A job on every lcore.
  unsigned poll(unsigned budget = 32);

  BusCounters counters(unsigned lcore) const;
  // Messages out of the pool: queued, being handled, or awaiting their caller. 0 when the bus is idle.
  unsigned pool_in_use() const;
  const char* type_name(uint16_t type) const;
  unsigned master() const { return master_; }
  const std::vector<unsigned>& workers() const { return workers_; }

 private:
  struct Msg;
  struct TypeInfo {
    const char* name = nullptr;
    uint32_t payload_size = 0;
    uint32_t reply_size = 0;
    MsgHandler handler = nullptr;
    void* ctx = nullptr;
  };
  // Written by the lcore it belongs to only (a load and a store, no locked instruction), read by anyone.
  struct alignas(64) LcoreCounters {
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> received{0};
    std::atomic<uint64_t> ring_full{0};
    std::atomic<uint64_t> no_memory{0};
    std::atomic<uint64_t> late_replies{0};
  };

  int check(unsigned lcore, uint16_t type, uint32_t size, const void* payload) const;
  std::string explain_invalid(unsigned lcore, uint16_t type, uint32_t size, const void* payload) const;
  Msg* make(uint16_t type, const void* payload, uint32_t size, int* err);
  void fill(Msg* msg, uint16_t type, const void* payload, uint32_t size) const;
  int enqueue(unsigned lcore, Msg* msg);
  void handle(Msg* msg, unsigned self);
  LcoreCounters* own_counters();
  CallResult call_many(const std::vector<unsigned>& targets, uint16_t type, const void* payload, uint32_t size,
                       std::chrono::microseconds timeout);
  void release();

  unsigned master_;
  std::vector<unsigned> workers_;
  rte_mempool* pool_ = nullptr;
  std::vector<TypeInfo> types_;
  // Both indexed by lcore id. Inboxes are read by every sender and never change after construction, so they
  // live apart from the counters, which their owners keep writing.
  std::vector<rte_ring*> inboxes_;
  std::vector<LcoreCounters> counters_;
  bool sealed_ = false;
  bool in_call_ = false;  // master only: a call is waiting, so handlers it runs must not start another
};

// Typed façade: binds a type id to its payload and reply structs at compile time, so that sizes can not
// disagree and handlers receive typed references.
struct NoReply {};

template <class Payload, class Reply = NoReply>
class MsgType {
  static_assert(std::is_trivially_copyable_v<Payload> && sizeof(Payload) <= kMsgPayloadMax);
  static_assert(std::is_trivially_copyable_v<Reply> && sizeof(Reply) <= kMsgReplyMax);
  static constexpr uint32_t kReplySize = std::is_same_v<Reply, NoReply> ? 0 : sizeof(Reply);

 public:
  template <class Ctx>
  using Handler = int (*)(Ctx* ctx, const Payload& payload, Reply& reply);

  MsgType(MessageBus& bus, uint16_t id) : bus_(&bus), id_(id) {}

  // Declares the type on the bus with a handler taking (Ctx*, const Payload&, Reply&).
  template <class Ctx, Handler<Ctx> Fn>
  static MsgType define(MessageBus& bus, uint16_t id, const char* name, Ctx* ctx) {
    bus.define(id, name, sizeof(Payload), kReplySize, &trampoline<Ctx, Fn>, ctx);
    return MsgType(bus, id);
  }

  int send(unsigned lcore, const Payload& p) const { return bus_->send(lcore, id_, &p, sizeof p); }
  int multicast(const Payload& p) const { return bus_->multicast(id_, &p, sizeof p); }
  CallResult call(unsigned lcore, const Payload& p, std::chrono::microseconds timeout) const {
    return bus_->call(lcore, id_, &p, sizeof p, timeout);
  }
  CallResult call_workers(const Payload& p, std::chrono::microseconds timeout) const {
    return bus_->call_workers(id_, &p, sizeof p, timeout);
  }
  uint16_t id() const { return id_; }

 private:
  template <class Ctx, Handler<Ctx> Fn>
  static int trampoline(void* ctx, const void* payload, void* reply) {
    Reply scratch{};
    Reply& out = kReplySize ? *static_cast<Reply*>(reply) : scratch;
    return Fn(static_cast<Ctx*>(ctx), *static_cast<const Payload*>(payload), out);
  }

  MessageBus* bus_;
  uint16_t id_;
};

}  // namespace fulcrum::core
