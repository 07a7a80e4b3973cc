#include "fulcrum/core/message_bus.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace fulcrum::core {
namespace {

// The life of a synchronous message. Async messages stay kAsync: their receiver always frees them.
// PENDING -> DONE (replier) or PENDING -> ABANDONED (caller, on timeout): whichever side loses the CAS owns
// the message afterwards and frees it, so each message is freed exactly once.
enum : uint32_t { kAsync = 0, kPending = 1, kDone = 2, kAbandoned = 3 };

constexpr unsigned kBurst = 32;
constexpr std::chrono::microseconds kSpinBeforeYield{50};
constexpr uint16_t kNoLcore = 0xffff;  // sent from a thread that is not an lcore
static_assert(RTE_MAX_LCORE < kNoLcore);

std::atomic<unsigned> g_bus_seq{0};  // ring and pool names must be unique within the process

// Single writer: no locked read-modify-write needed, and the atomic keeps concurrent readers well-defined.
inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string describe_errno(int err) {
  const char* name = strerrorname_np(err);
  const char* desc = strerrordesc_np(err);
  if (name == nullptr || desc == nullptr) return format("error %d", err);
  return format("%s (%s)", name, desc);
}

std::string describe_timeout(std::chrono::microseconds t) {
  const long long us = t.count();
  if (us % 1000 == 0) return format("%lld ms", us / 1000);
  return format("%lld us", us);
}

uint64_t to_cycles(std::chrono::microseconds t, uint64_t hz) {
  if (t.count() <= 0) return 0;
  const auto us = static_cast<uint64_t>(t.count());
  // Split so that the product can not overflow for any timeout a human would write.
  return us / 1'000'000 * hz + us % 1'000'000 * hz / 1'000'000;
}

}  // namespace

struct alignas(RTE_CACHE_LINE_SIZE) MessageBus::Msg {
  // Header and the first 48 payload bytes share one cache line, so a small message costs the receiver one line.
  uint16_t type = 0;
  uint16_t source = kNoLcore;
  uint32_t size = 0;
  int32_t status = 0;
  std::atomic<uint32_t> state{kAsync};
  alignas(16) unsigned char payload[kMsgPayloadMax] = {};
  alignas(16) unsigned char reply[kMsgReplyMax] = {};
};

MessageBus::MessageBus(unsigned master, std::vector<unsigned> workers, unsigned ring_size, unsigned pool_size)
    : master_(master),
      workers_(std::move(workers)),
      types_(kMsgTypeMax),
      inboxes_(RTE_MAX_LCORE, nullptr),
      counters_(RTE_MAX_LCORE) {
  if (master_ >= RTE_MAX_LCORE) throw std::invalid_argument(format("message bus: bad master lcore %u", master_));
  for (size_t i = 0; i < workers_.size(); ++i) {
    const unsigned w = workers_[i];
    if (w >= RTE_MAX_LCORE || w == master_ ||
        std::find(workers_.begin(), workers_.begin() + static_cast<std::ptrdiff_t>(i), w) !=
            workers_.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument(format("message bus: worker lcore %u is out of range, the master, or repeated", w));
    }
  }
  if (ring_size < 2 || ring_size > RTE_RING_SZ_MASK || (ring_size & (ring_size - 1)) != 0) {
    throw std::invalid_argument(format("message bus: ring size %u is not a power of two", ring_size));
  }
  if (pool_size == 0) throw std::invalid_argument("message bus: empty message pool");

  const unsigned id = g_bus_seq.fetch_add(1, std::memory_order_relaxed);
  auto create_inbox = [&](unsigned lcore) {
    char name[RTE_RING_NAMESIZE];
    std::snprintf(name, sizeof name, "fbus%u.%u", id, lcore);
    // The consumer's socket first; a machine whose memory sits elsewhere (--no-huge, -m) still gets a bus.
    rte_ring* r = rte_ring_create(name, ring_size, static_cast<int>(rte_lcore_to_socket_id(lcore)), RING_F_SC_DEQ);
    if (r == nullptr) r = rte_ring_create(name, ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (r == nullptr) {
      throw std::runtime_error(format("message bus: inbox for lcore %u: %s", lcore, rte_strerror(rte_errno)));
    }
    inboxes_[lcore] = r;
  };
  try {
    create_inbox(master_);
    for (unsigned w : workers_) create_inbox(w);

    // Per-lcore caches make get/put cheap, but objects parked in them are invisible to other lcores: keep them
    // to a small share of the pool.
    const unsigned lcores = static_cast<unsigned>(workers_.size()) + 1;
    const unsigned cache = std::min<unsigned>(128, pool_size / (4 * lcores));
    char name[RTE_MEMPOOL_NAMESIZE];
    std::snprintf(name, sizeof name, "fbus%u", id);
    // Constructing each Msg once, here, is what makes its atomic state word a live object for every later use.
    auto init = [](rte_mempool*, void*, void* obj, unsigned) { new (obj) Msg; };
    pool_ = rte_mempool_create(name, pool_size, sizeof(Msg), cache, 0, nullptr, nullptr, init, nullptr,
                               SOCKET_ID_ANY, 0);
    if (pool_ == nullptr) {
      throw std::runtime_error(format("message bus: pool of %u messages: %s", pool_size, rte_strerror(rte_errno)));
    }
  } catch (...) {
    release();
    throw;
  }
}

MessageBus::~MessageBus() { release(); }

void MessageBus::release() {
  for (rte_ring*& r : inboxes_) {
    if (r == nullptr) continue;
    // Queued messages (abandoned calls included) go back to the pool before the pool itself goes, so that a
    // pool shared with nothing else ends empty; their handlers do not run, their contexts may be gone.
    void* burst[kBurst];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(r, burst, kBurst, nullptr)) != 0) {
      if (pool_ != nullptr) rte_mempool_put_bulk(pool_, burst, n);
    }
    rte_ring_free(r);
    r = nullptr;
  }
  rte_mempool_free(pool_);
  pool_ = nullptr;
}

void MessageBus::define(uint16_t type, const char* name, uint32_t payload_size, uint32_t reply_size,
                        MsgHandler handler, void* ctx) {
  const char* shown = name != nullptr ? name : "(null)";
  if (sealed_) throw std::logic_error(format("message bus: %s (type %u) defined after seal()", shown, type));
  if (type >= kMsgTypeMax) {
    throw std::logic_error(format("message bus: %s: type %u is not below %u", shown, type, kMsgTypeMax));
  }
  if (name == nullptr || handler == nullptr) {
    throw std::logic_error(format("message bus: type %u needs a name and a handler", type));
  }
  if (payload_size > kMsgPayloadMax || reply_size > kMsgReplyMax) {
    throw std::logic_error(format("message bus: %s: payload %u / reply %u bytes, limits %u / %u", name,
                                  payload_size, reply_size, kMsgPayloadMax, kMsgReplyMax));
  }
  if (types_[type].handler != nullptr) {
    throw std::logic_error(format("message bus: %s: type %u is already %s", name, type, types_[type].name));
  }
  types_[type] = TypeInfo{name, payload_size, reply_size, handler, ctx};
}

int MessageBus::check(unsigned lcore, uint16_t type, uint32_t size, const void* payload) const {
  if (type >= kMsgTypeMax) return EINVAL;
  const TypeInfo& t = types_[type];
  if (t.handler == nullptr || t.payload_size != size || (size != 0 && payload == nullptr)) return EINVAL;
  if (lcore >= inboxes_.size() || inboxes_[lcore] == nullptr) return EINVAL;
  return 0;
}

std::string MessageBus::explain_invalid(unsigned lcore, uint16_t type, uint32_t size, const void* payload) const {
  if (type >= kMsgTypeMax || types_[type].handler == nullptr) return format("type %u is not defined", type);
  const TypeInfo& t = types_[type];
  if (t.payload_size != size) return format("%s: payload of %u bytes, defined as %u", t.name, size, t.payload_size);
  if (size != 0 && payload == nullptr) return format("%s: no payload", t.name);
  return format("%s: lcore %u has no inbox", t.name, lcore);
}

MessageBus::LcoreCounters* MessageBus::own_counters() {
  const unsigned self = rte_lcore_id();
  return self < counters_.size() ? &counters_[self] : nullptr;
}

void MessageBus::fill(Msg* m, uint16_t type, const void* payload, uint32_t size) const {
  const unsigned self = rte_lcore_id();
  m->type = type;
  m->source = self < RTE_MAX_LCORE ? static_cast<uint16_t>(self) : kNoLcore;
  m->size = size;
  m->status = 0;
  m->state.store(kAsync, std::memory_order_relaxed);  // the ring's enqueue publishes it
  if (size != 0) std::memcpy(m->payload, payload, size);
}

MessageBus::Msg* MessageBus::make(uint16_t type, const void* payload, uint32_t size, int* err) {
  void* obj = nullptr;
  if (rte_mempool_get(pool_, &obj) != 0) {
    if (LcoreCounters* c = own_counters()) bump(c->no_memory);
    *err = ENOMEM;
    return nullptr;
  }
  Msg* m = static_cast<Msg*>(obj);
  fill(m, type, payload, size);
  return m;
}

int MessageBus::enqueue(unsigned lcore, Msg* m) {
  LcoreCounters* c = own_counters();
  if (rte_ring_mp_enqueue(inboxes_[lcore], m) != 0) {
    rte_mempool_put(pool_, m);
    if (c != nullptr) bump(c->ring_full);
    return ENOBUFS;
  }
  if (c != nullptr) bump(c->sent);
  return 0;
}

int MessageBus::send(unsigned lcore, uint16_t type, const void* payload, uint32_t size) {
  if (const int rc = check(lcore, type, size, payload)) return rc;
  int err = 0;
  Msg* m = make(type, payload, size, &err);
  if (m == nullptr) return err;
  return enqueue(lcore, m);
}

int MessageBus::multicast(uint16_t type, const void* payload, uint32_t size) {
  if (const int rc = check(master_, type, size, payload)) return rc;
  const unsigned self = rte_lcore_id();
  unsigned targets[RTE_MAX_LCORE];
  void* objs[RTE_MAX_LCORE];
  unsigned n = 0;
  for (unsigned w : workers_) {
    if (w != self) targets[n++] = w;
  }
  if (n == 0) return 0;
  // One bulk get for all copies; when the pool is too low for all of them, still deliver what it can.
  const bool bulk = rte_mempool_get_bulk(pool_, objs, n) == 0;
  int first = 0;
  for (unsigned i = 0; i < n; ++i) {
    Msg* m;
    if (bulk) {
      m = static_cast<Msg*>(objs[i]);
      fill(m, type, payload, size);
    } else {
      int err = 0;
      m = make(type, payload, size, &err);
      if (m == nullptr) {
        if (first == 0) first = err;
        continue;
      }
    }
    const int rc = enqueue(targets[i], m);
    if (rc != 0 && first == 0) first = rc;
  }
  return first;
}

void MessageBus::handle(Msg* m, unsigned self) {
  const TypeInfo& t = types_[m->type];
  const bool sync = m->state.load(std::memory_order_relaxed) != kAsync;
  int rc = t.handler(t.ctx, m->payload, m->reply);
  if (!sync) {
    rte_mempool_put(pool_, m);
    return;
  }
  m->status = rc < 0 ? -rc : rc;  // tolerate DPDK's negative-errno habit
  uint32_t expected = kPending;
  // Release publishes status and reply to the caller; on failure the caller has given up and left it to us.
  if (m->state.compare_exchange_strong(expected, kDone, std::memory_order_release, std::memory_order_acquire)) {
    return;
  }
  rte_mempool_put(pool_, m);
  bump(counters_[self].late_replies);
}

unsigned MessageBus::poll(unsigned budget) {
  const unsigned self = rte_lcore_id();
  if (self >= inboxes_.size()) return 0;
  rte_ring* ring = inboxes_[self];
  if (ring == nullptr) return 0;
  void* burst[kBurst];
  unsigned done = 0;
  while (done < budget) {
    const unsigned want = std::min(budget - done, kBurst);
    const unsigned n = rte_ring_sc_dequeue_burst(ring, burst, want, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      if (i + 1 < n) rte_prefetch0(burst[i + 1]);
      handle(static_cast<Msg*>(burst[i]), self);
    }
    done += n;
    if (n < want) break;
  }
  // After the handlers: a handler that polls (nested) has already stored its own count.
  if (done != 0) bump(counters_[self].received, done);
  return done;
}

CallResult MessageBus::call(unsigned lcore, uint16_t type, const void* payload, uint32_t size,
                            std::chrono::microseconds timeout) {
  return call_many(std::vector<unsigned>{lcore}, type, payload, size, timeout);
}

CallResult MessageBus::call_workers(uint16_t type, const void* payload, uint32_t size,
                                    std::chrono::microseconds timeout) {
  return call_many(workers_, type, payload, size, timeout);
}

CallResult MessageBus::call_many(const std::vector<unsigned>& targets, uint16_t type, const void* payload,
                                 uint32_t size, std::chrono::microseconds timeout) {
  CallResult res;
  res.replies.resize(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) res.replies[i].lcore = targets[i];
  auto refuse = [&res](int status, std::string error) {
    for (MsgReply& r : res.replies) r.status = status;
    res.status = status;
    res.error = std::move(error);
    return res;
  };

  const unsigned self = rte_lcore_id();
  if (self != master_) {
    return refuse(EDEADLK, format("%s: synchronous call from lcore %d; only the master (lcore %u) may wait",
                                  type_name(type), self < RTE_MAX_LCORE ? static_cast<int>(self) : -1, master_));
  }
  if (in_call_) {
    return refuse(EDEADLK, format("%s: synchronous call from a handler run while the master waits for a call",
                                  type_name(type)));
  }
  for (unsigned t : targets) {
    if (check(t, type, size, payload) != 0) return refuse(EINVAL, explain_invalid(t, type, size, payload));
  }
  if (targets.size() > RTE_MAX_LCORE) return refuse(EINVAL, format("%s: too many targets", type_name(type)));

  const TypeInfo& info = types_[type];
  const size_t n = targets.size();
  Msg* pending[RTE_MAX_LCORE];
  size_t waiting = 0;
  for (size_t i = 0; i < n; ++i) {
    pending[i] = nullptr;
    int err = 0;
    Msg* m = make(type, payload, size, &err);
    if (m == nullptr) {
      res.replies[i].status = err;
      continue;
    }
    m->state.store(kPending, std::memory_order_relaxed);
    // A handler that writes less than declared must not hand back what an earlier message left there.
    std::memset(m->reply, 0, info.reply_size);
    if (const int rc = enqueue(targets[i], m); rc != 0) {
      res.replies[i].status = rc;
      continue;
    }
    pending[i] = m;
    ++waiting;
  }

  auto collect = [&](size_t i) {
    Msg* m = pending[i];
    MsgReply& r = res.replies[i];
    r.status = m->status;
    if (r.status == 0) r.bytes.assign(m->reply, m->reply + info.reply_size);
    rte_mempool_put(pool_, m);
    pending[i] = nullptr;
  };
  auto collect_done = [&] {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] != nullptr && pending[i]->state.load(std::memory_order_acquire) == kDone) {
        collect(i);
        --waiting;
      }
    }
  };
  // Gives every unanswered message to its replier; those answered meanwhile are ours to read.
  auto abandon_rest = [&] {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] == nullptr) continue;
      uint32_t expected = kPending;
      if (pending[i]->state.compare_exchange_strong(expected, kAbandoned, std::memory_order_acq_rel,
                                                    std::memory_order_acquire)) {
        res.replies[i].status = ETIMEDOUT;
        pending[i] = nullptr;
      } else {
        collect(i);
      }
    }
    waiting = 0;
  };

  const uint64_t start = rte_get_timer_cycles();
  const uint64_t limit = to_cycles(timeout, rte_get_timer_hz());
  const uint64_t spin = to_cycles(kSpinBeforeYield, rte_get_timer_hz());
  in_call_ = true;
  try {
    while (waiting != 0) {
      collect_done();
      const uint64_t elapsed = rte_get_timer_cycles() - start;
      if (waiting == 0 || elapsed >= limit) break;
      // A worker blocked on a full master inbox would never get to our message: keep draining it.
      poll(kBurst);
      // A reply from a dedicated core comes within microseconds. Past that, the replier may share our CPU
      // (idle-sleep setups, tests): spinning on would hold it off until the scheduler preempts us.
      if (elapsed < spin) {
        rte_pause();
      } else {
        sched_yield();
      }
    }
    abandon_rest();
  } catch (...) {
    // A handler threw from the nested poll: nothing may be left owned by nobody.
    abandon_rest();
    in_call_ = false;
    throw;
  }
  in_call_ = false;

  std::string error;
  for (const MsgReply& r : res.replies) {
    if (r.status == 0) continue;
    if (res.status == 0) res.status = r.status;
    error += error.empty() ? std::string(info.name) + ": " : std::string("; ");
    switch (r.status) {
      case ETIMEDOUT:
        error += format("lcore %u did not reply within %s", r.lcore, describe_timeout(timeout).c_str());
        break;
      case ENOBUFS:
        error += format("lcore %u inbox full", r.lcore);
        break;
      case ENOMEM:
        error += format("lcore %u: message pool empty", r.lcore);
        break;
      default:
        error += format("lcore %u failed: %s", r.lcore, describe_errno(r.status).c_str());
        break;
    }
  }
  res.error = std::move(error);
  return res;
}

BusCounters MessageBus::counters(unsigned lcore) const {
  BusCounters out;
  if (lcore >= counters_.size()) return out;
  const LcoreCounters& c = counters_[lcore];
  out.sent = c.sent.load(std::memory_order_relaxed);
  out.received = c.received.load(std::memory_order_relaxed);
  out.ring_full = c.ring_full.load(std::memory_order_relaxed);
  out.no_memory = c.no_memory.load(std::memory_order_relaxed);
  out.late_replies = c.late_replies.load(std::memory_order_relaxed);
  return out;
}

unsigned MessageBus::pool_in_use() const { return rte_mempool_in_use_count(pool_); }

const char* MessageBus::type_name(uint16_t type) const {
  if (type >= kMsgTypeMax || types_[type].handler == nullptr) return "undefined type";
  return types_[type].name;
}

}  // namespace fulcrum::core
