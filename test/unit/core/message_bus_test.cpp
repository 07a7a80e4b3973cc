#include "fulcrum/core/message_bus.hpp"

#include <catch2/catch.hpp>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_pause.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_eal.hpp"

using fulcrum::core::CallResult;
using fulcrum::core::MessageBus;
using fulcrum::core::MsgType;
using fulcrum::core::NoReply;
using fulcrum::test::ensure_eal;
using fulcrum::test::LcoreLoops;
using fulcrum::test::wait_until;
using namespace std::chrono_literals;

namespace {

constexpr unsigned kMaster = 0;
constexpr unsigned kMaxTestLcore = 8;  // the tests run lcores 0..3

template <class T>
T decode(const std::vector<unsigned char>& bytes) {
  T v{};
  REQUIRE(bytes.size() == sizeof v);
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

template <class T>
T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Sends, retrying while the inbox is full (serving our own inbox meanwhile); gives up after a few seconds so
// that a broken bus fails the test instead of hanging it.
int send_retry(MessageBus& bus, unsigned lcore, uint16_t type, const void* p, uint32_t size,
               uint64_t* full = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    const int rc = bus.send(lcore, type, p, size);
    if (rc != ENOBUFS || std::chrono::steady_clock::now() > deadline) return rc;
    if (full != nullptr) ++*full;
    bus.poll();
    std::this_thread::yield();
  }
}

unsigned poll_loop(MessageBus& bus) { return bus.poll(); }

// ---- handlers -------------------------------------------------------------------------------------------

struct SeqSink {
  std::atomic<uint64_t> count{0};
  unsigned expected_lcore = 0;
  // Written by the receiving lcore only; read once it has stopped.
  uint64_t next = 0;
  uint64_t sum = 0;
  bool in_order = true;
  bool wrong_lcore = false;
};

int on_seq(void* ctx, const void* payload, void*) {
  auto* s = static_cast<SeqSink*>(ctx);
  const auto n = load<uint64_t>(payload);
  if (n != s->next) s->in_order = false;
  s->next = n + 1;
  s->sum += n;
  if (rte_lcore_id() != s->expected_lcore) s->wrong_lcore = true;
  s->count.fetch_add(1, std::memory_order_release);
  return 0;
}

struct Tally {
  MessageBus* bus = nullptr;
  std::atomic<unsigned> got[kMaxTestLcore][kMaxTestLcore] = {};  // [receiver][origin]
  std::atomic<int> relay_rc{-1};
};
constexpr uint16_t kTick = 1, kRelay = 2, kBarrier = 3;

int on_tick(void* ctx, const void* payload, void*) {
  auto* t = static_cast<Tally*>(ctx);
  t->got[rte_lcore_id()][load<uint32_t>(payload)].fetch_add(1);
  return 0;
}

int on_relay(void* ctx, const void*, void*) {
  auto* t = static_cast<Tally*>(ctx);
  const uint32_t origin = rte_lcore_id();
  t->relay_rc.store(t->bus->multicast(kTick, &origin, sizeof origin));
  return 0;
}

int on_nothing(void*, const void*, void*) { return 0; }

struct WhoAmI {
  uint32_t lcore;
  uint32_t echo;
};

int on_whoami(void*, const void* payload, void* reply) {
  const WhoAmI r{rte_lcore_id(), load<uint32_t>(payload)};
  std::memcpy(reply, &r, sizeof r);
  return 0;
}

struct FailOn {
  uint32_t lcore;
  int32_t err;
};

int on_maybe_fail(void*, const void* payload, void* reply) {
  const auto f = load<FailOn>(payload);
  if (rte_lcore_id() == f.lcore) return f.err;
  std::memset(reply, 0xab, 8);
  return 0;
}

struct Slow {
  std::atomic<bool> release{false};
  std::atomic<unsigned> entered{0};
};

int on_slow(void* ctx, const void* payload, void* reply) {
  auto* s = static_cast<Slow*>(ctx);
  if (rte_lcore_id() == load<uint32_t>(payload)) {
    s->entered.fetch_add(1);
    const uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
    while (!s->release.load() && rte_get_timer_cycles() < deadline) rte_pause();
  }
  const uint32_t me = rte_lcore_id();
  std::memcpy(reply, &me, sizeof me);
  return 0;
}

size_t memzone_count() {
  size_t n = 0;
  rte_memzone_walk([](const rte_memzone*, void* arg) { ++*static_cast<size_t*>(arg); }, &n);
  return n;
}

}  // namespace

TEST_CASE("bus: asynchronous unicast arrives complete and in order", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  SeqSink sink;
  sink.expected_lcore = 2;
  bus.define(1, "seq", sizeof(uint64_t), 0, &on_seq, &sink);
  bus.seal();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });

  constexpr uint64_t kN = 20000;
  uint64_t full = 0;
  for (uint64_t i = 0; i < kN; ++i) REQUIRE(send_retry(bus, 2, 1, &i, sizeof i, &full) == 0);
  REQUIRE(wait_until([&] { return sink.count.load(std::memory_order_acquire) == kN; }));
  loops.stop();

  CHECK(sink.in_order);
  CHECK_FALSE(sink.wrong_lcore);
  CHECK(sink.sum == kN * (kN - 1) / 2);
  CHECK(bus.counters(kMaster).sent == kN);
  CHECK(bus.counters(kMaster).ring_full == full);
  CHECK(bus.counters(2).received == kN);
  CHECK(bus.counters(1).received == 0);
  CHECK(bus.counters(3).received == 0);
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: multicast reaches every worker once and skips the sender", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  Tally tally;
  tally.bus = &bus;
  bus.define(kTick, "tick", sizeof(uint32_t), 0, &on_tick, &tally);
  bus.define(kRelay, "relay", 0, 0, &on_relay, &tally);
  bus.define(kBarrier, "barrier", 0, 0, &on_nothing, nullptr);
  bus.seal();
  std::atomic<bool> fire_from_3{false};
  std::atomic<int> loop_rc{-1};
  LcoreLoops loops({1, 2, 3}, [&](unsigned lcore) {
    unsigned work = bus.poll();
    if (lcore == 3 && fire_from_3.exchange(false)) {
      const uint32_t origin = lcore;
      loop_rc.store(bus.multicast(kTick, &origin, sizeof origin));
      ++work;
    }
    return work;
  });

  constexpr unsigned kK = 50;
  for (unsigned i = 0; i < kK; ++i) {
    const uint32_t origin = kMaster;
    REQUIRE(bus.multicast(kTick, &origin, sizeof origin) == 0);
  }
  REQUIRE(bus.send(1, kRelay, nullptr, 0) == 0);  // lcore 1 multicasts from inside a handler
  fire_from_3.store(true);                         // lcore 3 multicasts from its loop
  REQUIRE(wait_until([&] {
    return tally.got[1][0] == kK && tally.got[2][0] == kK && tally.got[3][0] == kK && tally.got[2][1] == 1 &&
           tally.got[3][1] == 1 && tally.got[1][3] == 1 && tally.got[2][3] == 1;
  }));
  // Every copy a sender made is queued before the barrier: a copy to itself would have run by now.
  const CallResult barrier = bus.call_workers(kBarrier, nullptr, 0, 5s);
  REQUIRE(barrier.ok());
  loops.stop();

  CHECK(tally.relay_rc == 0);
  CHECK(loop_rc == 0);
  CHECK(tally.got[1][1] == 0);
  CHECK(tally.got[3][3] == 0);
  CHECK(tally.got[0][0] == 0);  // the master is no worker
  CHECK(tally.got[0][1] == 0);
  CHECK(tally.got[0][3] == 0);
  CHECK(bus.counters(kMaster).sent == 3 * kK + 1 + 3);
  CHECK(bus.counters(1).sent == 2);
  CHECK(bus.counters(3).sent == 2);
  CHECK(bus.counters(1).received == kK + 1 + 1 + 1);  // ticks, relay, tick from 3, barrier
  CHECK(bus.counters(2).received == kK + 2 + 1);
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: call_workers collects one reply per worker", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  bus.define(7, "whoami", sizeof(uint32_t), sizeof(WhoAmI), &on_whoami, nullptr);
  bus.seal();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });

  const uint32_t echo = 0xfeed;
  const CallResult all = bus.call_workers(7, &echo, sizeof echo, 5s);
  REQUIRE(all.ok());
  CHECK(all.error.empty());
  REQUIRE(all.replies.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const unsigned want = bus.workers()[i];
    CHECK(all.replies[i].lcore == want);
    CHECK(all.replies[i].status == 0);
    const auto r = decode<WhoAmI>(all.replies[i].bytes);
    CHECK(r.lcore == want);
    CHECK(r.echo == echo);
  }

  const CallResult one = bus.call(2, 7, &echo, sizeof echo, 5s);
  REQUIRE(one.ok());
  REQUIRE(one.replies.size() == 1);
  CHECK(decode<WhoAmI>(one.replies[0].bytes).lcore == 2);

  // The master calling itself is served by the polling it does while it waits.
  const CallResult self = bus.call(kMaster, 7, &echo, sizeof echo, 5s);
  REQUIRE(self.ok());
  CHECK(decode<WhoAmI>(self.replies[0].bytes).lcore == kMaster);

  loops.stop();
  CHECK(bus.counters(kMaster).sent == 5);
  CHECK(bus.counters(kMaster).received == 1);
  CHECK(bus.counters(2).received == 2);
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: a handler's errno becomes the call's status and error", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  bus.define(9, "lookup", sizeof(FailOn), 8, &on_maybe_fail, nullptr);
  bus.seal();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });

  const FailOn f{3, ENOENT};
  const CallResult r = bus.call_workers(9, &f, sizeof f, 5s);
  CHECK(r.status == ENOENT);
  CHECK_FALSE(r.ok());
  CHECK(r.error == "lookup: lcore 3 failed: ENOENT (No such file or directory)");
  REQUIRE(r.replies.size() == 3);
  CHECK(r.replies[0].status == 0);
  CHECK(r.replies[0].bytes == std::vector<unsigned char>(8, 0xab));
  CHECK(r.replies[1].status == 0);
  CHECK(r.replies[2].status == ENOENT);
  CHECK(r.replies[2].bytes.empty());

  // DPDK habitually returns -errno: it still reads as a failure, with the errno's sign fixed.
  const FailOn neg{2, -EEXIST};
  const CallResult r2 = bus.call_workers(9, &neg, sizeof neg, 5s);
  CHECK(r2.status == EEXIST);
  CHECK(r2.error.find("lookup: lcore 2 failed: EEXIST") == 0);
  loops.stop();
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: a call times out, and the late reply is freed by the replier", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  Slow slow;
  bus.define(4, "slow", sizeof(uint32_t), sizeof(uint32_t), &on_slow, &slow);
  bus.seal();
  std::atomic<bool> paused[kMaxTestLcore] = {};
  LcoreLoops loops({1, 2, 3}, [&](unsigned lcore) { return paused[lcore].load() ? 0u : bus.poll(); });
  const unsigned baseline = bus.pool_in_use();
  REQUIRE(baseline == 0);

  SECTION("the handler is still running when the caller gives up") {
    const uint32_t slow_lcore = 2;
    const auto t0 = std::chrono::steady_clock::now();
    const CallResult r = bus.call_workers(4, &slow_lcore, sizeof slow_lcore, 200ms);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.status == ETIMEDOUT);
    CHECK(r.error == "slow: lcore 2 did not reply within 200 ms");
    CHECK(took >= 200ms);
    CHECK(took < 1500ms);  // the CPUs are shared with other test processes: allow for scheduling
    REQUIRE(r.replies.size() == 3);
    CHECK(r.replies[0].status == 0);
    CHECK(decode<uint32_t>(r.replies[0].bytes) == 1);
    CHECK(r.replies[1].status == ETIMEDOUT);
    CHECK(r.replies[1].bytes.empty());
    CHECK(r.replies[2].status == 0);
    CHECK(slow.entered == 1);
    CHECK(bus.counters(2).late_replies == 0);
    CHECK(bus.pool_in_use() == 1);  // the replier owns it now

    slow.release.store(true);
    CHECK(wait_until([&] { return bus.counters(2).late_replies == 1; }));
    CHECK(wait_until([&] { return bus.pool_in_use() == baseline; }));
  }

  SECTION("the message is still queued when the caller gives up") {
    paused[3].store(true);
    const uint32_t nobody = 99;
    const CallResult r = bus.call(3, 4, &nobody, sizeof nobody, 20ms);
    CHECK(r.status == ETIMEDOUT);
    CHECK(r.error == "slow: lcore 3 did not reply within 20 ms");
    CHECK(bus.pool_in_use() == 1);
    paused[3].store(false);
    CHECK(wait_until([&] { return bus.counters(3).late_replies == 1; }));
    CHECK(wait_until([&] { return bus.pool_in_use() == baseline; }));
    CHECK(bus.counters(3).received == 1);
  }

  SECTION("sub-millisecond timeouts are reported in microseconds") {
    paused[1].store(true);
    const uint32_t nobody = 99;
    const CallResult r = bus.call(1, 4, &nobody, sizeof nobody, 250us);
    CHECK(r.error == "slow: lcore 1 did not reply within 250 us");
    paused[1].store(false);
    CHECK(wait_until([&] { return bus.pool_in_use() == baseline; }));
  }
  loops.stop();
}

TEST_CASE("bus: a full inbox refuses with ENOBUFS and recovers once drained", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3}, 8);
  SeqSink sink;
  sink.expected_lcore = 1;
  bus.define(1, "n", sizeof(uint64_t), 0, &on_seq, &sink);
  bus.seal();

  // No lcore polls yet: an 8-slot ring holds 7.
  unsigned accepted = 0, refused = 0;
  for (uint64_t i = 0; i < 10; ++i) {
    const int rc = bus.send(1, 1, &i, sizeof i);
    REQUIRE((rc == 0 || rc == ENOBUFS));
    (rc == 0 ? accepted : refused)++;
  }
  CHECK(accepted == 7);
  CHECK(refused == 3);
  CHECK(bus.counters(kMaster).ring_full == 3);
  CHECK(bus.counters(kMaster).sent == 7);

  const uint64_t next = 7;
  const auto t0 = std::chrono::steady_clock::now();
  const CallResult r = bus.call(1, 1, &next, sizeof next, 2s);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // no waiting for a message that was never queued
  CHECK(r.status == ENOBUFS);
  CHECK(r.error == "n: lcore 1 inbox full");
  CHECK(bus.counters(kMaster).ring_full == 4);

  // Still reaches the workers with room.
  CHECK(bus.multicast(1, &next, sizeof next) == ENOBUFS);
  CHECK(bus.counters(kMaster).ring_full == 5);
  CHECK(bus.counters(kMaster).sent == 9);
  CHECK(bus.pool_in_use() == 9);

  LcoreLoops loops({1}, [&](unsigned) { return poll_loop(bus); });
  REQUIRE(wait_until([&] { return sink.count.load() == 7; }));
  CHECK(bus.send(1, 1, &next, sizeof next) == 0);
  REQUIRE(wait_until([&] { return sink.count.load() == 8; }));
  loops.stop();
  CHECK(sink.in_order);
  CHECK(bus.pool_in_use() == 2);  // the copies still queued for lcores 2 and 3, never polled
}

TEST_CASE("bus: an empty pool refuses with ENOMEM and recovers", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3}, 1024, 63);
  SeqSink sink;
  sink.expected_lcore = 1;
  bus.define(1, "n", sizeof(uint64_t), 0, &on_seq, &sink);
  bus.seal();

  uint64_t accepted = 0;
  int rc = 0;
  while ((rc = bus.send(1, 1, &accepted, sizeof accepted)) == 0) ++accepted;
  CHECK(rc == ENOMEM);
  CHECK(accepted <= 63);
  CHECK(accepted >= 60);
  CHECK(bus.counters(kMaster).no_memory == 1);
  CHECK(bus.counters(kMaster).ring_full == 0);
  CHECK(bus.multicast(1, &accepted, sizeof accepted) == ENOMEM);

  LcoreLoops loops({1}, [&](unsigned) { return poll_loop(bus); });
  REQUIRE(wait_until([&] { return sink.count.load() == accepted; }));
  CHECK(bus.send(1, 1, &accepted, sizeof accepted) == 0);
  REQUIRE(wait_until([&] { return sink.count.load() == accepted + 1; }));
  loops.stop();
  CHECK(sink.in_order);
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: malformed sends are refused with EINVAL and define() is checked", "[bus]") {
  ensure_eal();
  CHECK_THROWS_AS(MessageBus(kMaster, {1, 2}, 6), std::invalid_argument);
  CHECK_THROWS_AS(MessageBus(kMaster, {1, kMaster}), std::invalid_argument);
  CHECK_THROWS_AS(MessageBus(kMaster, {1, 2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(MessageBus(RTE_MAX_LCORE, {1}), std::invalid_argument);

  MessageBus bus(kMaster, {1, 2, 3});
  bus.define(1, "fixed", 8, 4, &on_nothing, nullptr);
  CHECK(std::string(bus.type_name(1)) == "fixed");
  CHECK_THROWS_AS(bus.define(1, "again", 8, 0, &on_nothing, nullptr), std::logic_error);
  CHECK_THROWS_AS(bus.define(fulcrum::core::kMsgTypeMax, "big", 8, 0, &on_nothing, nullptr), std::logic_error);
  CHECK_THROWS_AS(bus.define(2, "fat", fulcrum::core::kMsgPayloadMax + 1, 0, &on_nothing, nullptr),
                  std::logic_error);
  CHECK_THROWS_AS(bus.define(2, "chatty", 0, fulcrum::core::kMsgReplyMax + 1, &on_nothing, nullptr),
                  std::logic_error);
  CHECK_THROWS_AS(bus.define(2, "nobody", 0, 0, nullptr, nullptr), std::logic_error);
  bus.define(2, "limits", fulcrum::core::kMsgPayloadMax, fulcrum::core::kMsgReplyMax, &on_nothing, nullptr);
  bus.seal();
  CHECK_THROWS_AS(bus.define(3, "late", 0, 0, &on_nothing, nullptr), std::logic_error);

  const uint64_t p8 = 1;
  const uint32_t p4 = 1;
  CHECK(bus.send(1, 1, &p4, sizeof p4) == EINVAL);   // shorter than declared
  CHECK(bus.send(1, 1, &p8, 9) == EINVAL);            // longer than declared
  CHECK(bus.send(1, 3, &p8, sizeof p8) == EINVAL);   // never defined
  CHECK(bus.send(1, 5000, &p8, sizeof p8) == EINVAL);
  CHECK(bus.send(7, 1, &p8, sizeof p8) == EINVAL);   // an lcore without an inbox
  CHECK(bus.send(100000, 1, &p8, sizeof p8) == EINVAL);
  CHECK(bus.send(1, 1, nullptr, sizeof p8) == EINVAL);
  CHECK(bus.multicast(1, &p4, sizeof p4) == EINVAL);
  CHECK(bus.multicast(3, &p8, sizeof p8) == EINVAL);

  const CallResult wrong_size = bus.call_workers(1, &p4, sizeof p4, 1s);
  CHECK(wrong_size.status == EINVAL);
  CHECK(wrong_size.error == "fixed: payload of 4 bytes, defined as 8");
  CHECK(wrong_size.replies.size() == 3);
  const CallResult no_inbox = bus.call(7, 1, &p8, sizeof p8, 1s);
  CHECK(no_inbox.status == EINVAL);
  CHECK(no_inbox.error == "fixed: lcore 7 has no inbox");
  const CallResult undefined = bus.call(1, 3, &p8, sizeof p8, 1s);
  CHECK(undefined.status == EINVAL);
  CHECK(undefined.error == "type 3 is not defined");

  // Nothing was built, nothing was counted as sent.
  CHECK(bus.pool_in_use() == 0);
  CHECK(bus.counters(kMaster).sent == 0);
  CHECK(bus.counters(kMaster).ring_full == 0);
  CHECK(bus.counters(kMaster).no_memory == 0);
  CHECK(bus.counters(100000).sent == 0);
}

TEST_CASE("bus: synchronous calls from anywhere but the master are refused", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  bus.define(7, "whoami", sizeof(uint32_t), sizeof(WhoAmI), &on_whoami, nullptr);
  bus.seal();

  struct Attempt {
    MessageBus* bus;
    CallResult all, one;
  } attempt{&bus, {}, {}};
  auto from_worker = [](void* arg) -> int {
    auto* a = static_cast<Attempt*>(arg);
    const uint32_t x = 0;
    a->all = a->bus->call_workers(7, &x, sizeof x, 1s);
    a->one = a->bus->call(kMaster, 7, &x, sizeof x, 1s);
    return 0;
  };
  REQUIRE(rte_eal_remote_launch(from_worker, &attempt, 1) == 0);
  rte_eal_wait_lcore(1);
  CHECK(attempt.all.status == EDEADLK);
  CHECK(attempt.all.error == "whoami: synchronous call from lcore 1; only the master (lcore 0) may wait");
  REQUIRE(attempt.all.replies.size() == 3);
  for (const auto& r : attempt.all.replies) CHECK(r.status == EDEADLK);
  CHECK(attempt.one.status == EDEADLK);

  CallResult from_thread;
  std::thread t([&] {
    const uint32_t x = 0;
    from_thread = bus.call(2, 7, &x, sizeof x, 1s);
  });
  t.join();
  CHECK(from_thread.status == EDEADLK);
  CHECK(from_thread.error.find("from lcore -1") != std::string::npos);

  CHECK(bus.pool_in_use() == 0);
  CHECK(bus.counters(1).sent == 0);
}

namespace {

struct Flood {
  MessageBus* bus = nullptr;
  std::atomic<unsigned> notes{0};
  std::atomic<unsigned> nested_edeadlk{0};
  std::atomic<unsigned> nested_ok{0};
  std::atomic<unsigned> nested_other{0};
};
constexpr uint16_t kFlood = 20, kNote = 21, kPing = 22;

// On a worker: more asynchronous messages to the master than its inbox holds, then the reply.
int on_flood(void* ctx, const void* payload, void* reply) {
  auto* f = static_cast<Flood*>(ctx);
  const auto count = load<uint32_t>(payload);
  const uint64_t deadline = rte_get_timer_cycles() + 3 * rte_get_timer_hz();
  uint32_t sent = 0;
  while (sent < count) {
    const int rc = f->bus->send(kMaster, kNote, &sent, sizeof sent);
    if (rc == 0) {
      ++sent;
    } else if (rc != ENOBUFS || rte_get_timer_cycles() > deadline) {
      return ETIMEDOUT;  // the master stopped reading its inbox while it waited for us
    }
  }
  std::memcpy(reply, &sent, sizeof sent);
  return 0;
}

// On the master: tries a synchronous call of its own.
int on_note(void* ctx, const void*, void*) {
  auto* f = static_cast<Flood*>(ctx);
  f->notes.fetch_add(1);
  const CallResult r = f->bus->call(2, kPing, nullptr, 0, 1s);
  if (r.status == EDEADLK) {
    f->nested_edeadlk.fetch_add(1);
  } else if (r.ok()) {
    f->nested_ok.fetch_add(1);
  } else {
    f->nested_other.fetch_add(1);
  }
  return 0;
}

}  // namespace

TEST_CASE("bus: the master serves its inbox while it waits, and refuses nested calls", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3}, 16);
  Flood flood;
  flood.bus = &bus;
  bus.define(kFlood, "flood", sizeof(uint32_t), sizeof(uint32_t), &on_flood, &flood);
  bus.define(kNote, "note", sizeof(uint32_t), 0, &on_note, &flood);
  bus.define(kPing, "ping", 0, 0, &on_nothing, nullptr);
  bus.seal();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });

  const uint32_t count = 100;
  const CallResult r = bus.call(1, kFlood, &count, sizeof count, 10s);
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(decode<uint32_t>(r.replies[0].bytes) == count);
  const unsigned during_call = flood.notes.load();
  CHECK(during_call >= count - 15);  // all but what the 16-slot inbox still held when the reply came
  CHECK(flood.nested_edeadlk == during_call);

  // Outside a call, a handler on the master may call: the rest of the notes do.
  while (bus.poll() != 0) {
  }
  loops.stop();
  CHECK(flood.notes == count);
  CHECK(flood.nested_ok == count - during_call);
  CHECK(flood.nested_other == 0);
  CHECK(bus.pool_in_use() == 0);
}

namespace {

struct RouteAdd {
  uint32_t prefix;
  uint8_t len;
  uint8_t pad[3];
  uint32_t nexthop;
};
struct RouteAck {
  uint32_t lcore;
  uint32_t table_size;
  uint32_t nexthop;
};
struct Flush {
  uint32_t generation;
};
struct Tables {
  std::atomic<uint32_t> size[kMaxTestLcore] = {};
  std::atomic<uint32_t> flushes[kMaxTestLcore] = {};
};

int route_add(Tables* t, const RouteAdd& r, RouteAck& ack) {
  if (r.len > 32) return EINVAL;
  const unsigned me = rte_lcore_id();
  ack = RouteAck{me, t->size[me].fetch_add(1) + 1, r.nexthop};
  return 0;
}

int route_flush(Tables* t, const Flush&, NoReply&) {
  t->flushes[rte_lcore_id()].fetch_add(1);
  return 0;
}

}  // namespace

TEST_CASE("bus: the typed façade carries structs both ways", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  Tables tables;
  const auto add = MsgType<RouteAdd, RouteAck>::define<Tables, &route_add>(bus, 10, "route.add", &tables);
  const auto flush = MsgType<Flush>::define<Tables, &route_flush>(bus, 11, "route.flush", &tables);
  bus.seal();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });

  for (uint32_t round = 1; round <= 2; ++round) {
    const CallResult r = add.call_workers(RouteAdd{0x0a000000, 8, {}, 42 + round}, 5s);
    REQUIRE(r.ok());
    REQUIRE(r.replies.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      const auto ack = decode<RouteAck>(r.replies[i].bytes);
      CHECK(ack.lcore == bus.workers()[i]);
      CHECK(ack.table_size == round);
      CHECK(ack.nexthop == 42 + round);
    }
  }
  const CallResult bad = add.call(1, RouteAdd{0, 33, {}, 0}, 5s);
  CHECK(bad.status == EINVAL);
  CHECK(bad.error == "route.add: lcore 1 failed: EINVAL (Invalid argument)");

  // The same id through a second handle.
  const MsgType<RouteAdd, RouteAck> again(bus, add.id());
  CHECK(again.call(3, RouteAdd{0, 24, {}, 7}, 5s).ok());

  CHECK(flush.multicast(Flush{1}) == 0);
  CHECK(flush.send(2, Flush{2}) == 0);
  const CallResult f = flush.call_workers(Flush{3}, 5s);
  REQUIRE(f.ok());
  for (const auto& rep : f.replies) CHECK(rep.bytes.empty());  // NoReply: nothing comes back
  loops.stop();
  CHECK(tables.flushes[1] == 2);
  CHECK(tables.flushes[2] == 3);
  CHECK(tables.flushes[3] == 2);
  CHECK(tables.size[3] == 3);
  CHECK(bus.pool_in_use() == 0);
}

namespace {

struct StressMsg {
  uint32_t from;
  uint32_t pad;
  uint64_t seq;
};

// One per lcore; written only by that lcore.
struct alignas(64) StressLane {
  std::atomic<uint64_t> handled{0};
  uint64_t next[kMaxTestLcore] = {};  // expected seq from each sender
  uint64_t sum = 0;
  bool in_order = true;
  // The worker's own sending to the master.
  uint64_t to_master = 0;
  uint64_t full = 0;
};

struct Stress {
  StressLane lanes[kMaxTestLcore];
};

int on_stress(void* ctx, const void* payload, void*) {
  auto& lane = static_cast<Stress*>(ctx)->lanes[rte_lcore_id()];
  const auto m = load<StressMsg>(payload);
  if (m.seq != lane.next[m.from]) lane.in_order = false;
  lane.next[m.from] = m.seq + 1;
  lane.sum += m.seq;
  lane.handled.store(lane.handled.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return 0;
}

}  // namespace

TEST_CASE("bus: stress, many messages both ways, none lost", "[bus]") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3}, 1024);
  Stress stress;
  bus.define(1, "stress", sizeof(StressMsg), 0, &on_stress, &stress);
  bus.seal();

  constexpr uint64_t kFromMaster = 100000;
  constexpr uint64_t kPerWorker = 20000;
  LcoreLoops loops({1, 2, 3}, [&](unsigned lcore) {
    StressLane& lane = stress.lanes[lcore];
    unsigned work = bus.poll();
    for (unsigned i = 0; i < 64 && lane.to_master < kPerWorker; ++i) {
      const StressMsg m{lcore, 0, lane.to_master};
      const int rc = bus.send(kMaster, 1, &m, sizeof m);
      if (rc == ENOBUFS) {
        ++lane.full;
        break;
      }
      if (rc != 0) break;  // shows up below as a missing message
      ++lane.to_master;
      ++work;
    }
    return work;
  });

  uint64_t seq[kMaxTestLcore] = {};
  uint64_t full = 0;
  for (uint64_t i = 0; i < kFromMaster; ++i) {
    const unsigned to = bus.workers()[i % 3];
    const StressMsg m{kMaster, 0, seq[to]++};
    REQUIRE(send_retry(bus, to, 1, &m, sizeof m, &full) == 0);
    if (i % 64 == 0) bus.poll();
  }
  const uint64_t per_worker_in = kFromMaster / 3;  // 100000 = 3 * 33333 + 1: lcore 1 gets one more
  REQUIRE(wait_until(
      [&] {
        bus.poll();
        return stress.lanes[kMaster].handled.load(std::memory_order_acquire) == 3 * kPerWorker &&
               stress.lanes[1].handled.load(std::memory_order_acquire) == per_worker_in + 1 &&
               stress.lanes[2].handled.load(std::memory_order_acquire) == per_worker_in &&
               stress.lanes[3].handled.load(std::memory_order_acquire) == per_worker_in;
      },
      60s));
  loops.stop();

  uint64_t sent = 0, received = 0;
  for (unsigned lcore = 0; lcore <= 3; ++lcore) {
    const auto c = bus.counters(lcore);
    INFO("lcore " << lcore);
    sent += c.sent;
    received += c.received;
    CHECK(stress.lanes[lcore].in_order);
    CHECK(c.received == stress.lanes[lcore].handled.load());
    CHECK(c.no_memory == 0);
    CHECK(c.ring_full == (lcore == kMaster ? full : stress.lanes[lcore].full));
    if (lcore != kMaster) {
      CHECK(c.sent == kPerWorker);
      CHECK(stress.lanes[kMaster].next[lcore] == kPerWorker);
      CHECK(stress.lanes[lcore].next[kMaster] == seq[lcore]);
    }
  }
  CHECK(bus.counters(kMaster).sent == kFromMaster);
  CHECK(sent == kFromMaster + 3 * kPerWorker);
  CHECK(received == sent);
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: destruction frees rings and pool, queued messages included", "[bus]") {
  ensure_eal();
  const size_t before = memzone_count();
  {
    MessageBus bus(kMaster, {1, 2, 3});
    bus.define(1, "n", sizeof(uint64_t), 0, &on_nothing, nullptr);
    bus.define(2, "slow", 0, 0, &on_nothing, nullptr);
    bus.seal();
    CHECK(memzone_count() > before);
    for (uint64_t i = 0; i < 5; ++i) REQUIRE(bus.send(1, 1, &i, sizeof i) == 0);
    CHECK(bus.call(2, 2, nullptr, 0, 1ms).status == ETIMEDOUT);  // an abandoned call left in lcore 2's inbox
    CHECK(bus.pool_in_use() == 6);
  }
  CHECK(memzone_count() == before);
  // Names are reused safely: a new bus can be made after the old one.
  MessageBus again(kMaster, {1});
  CHECK(memzone_count() > before);
}

// ---- micro-benchmark: ./unit_message_bus "[.bench]" (build type Release for meaningful numbers) -----------

namespace {

// A counter per lcore, so that handlers on several lcores never share a written cache line.
struct BenchSink {
  struct alignas(64) Lane {
    std::atomic<uint64_t> count{0};
  };
  Lane lanes[kMaxTestLcore];
  uint64_t total() const {
    uint64_t n = 0;
    for (const Lane& l : lanes) n += l.count.load(std::memory_order_acquire);
    return n;
  }
};

int on_bench(void* ctx, const void*, void*) {
  auto& c = static_cast<BenchSink*>(ctx)->lanes[rte_lcore_id()].count;
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return 0;
}

double ns_since(std::chrono::steady_clock::time_point t0, uint64_t n) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
         static_cast<double>(n);
}

}  // namespace

TEST_CASE("bus: micro-benchmark", "[.bench]") {
  ensure_eal();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  constexpr uint64_t kN = 2'000'000;
  struct Update {
    uint32_t key[4];
  };  // 16 bytes: a small table update

  {
    MessageBus bus(kMaster, {1});
    BenchSink sink;
    bus.define(1, "update", sizeof(Update), 0, &on_bench, &sink);
    bus.define(2, "ping", 0, sizeof(uint32_t), &on_bench, &sink);
    bus.seal();
    const Update u{};

    auto t0 = std::chrono::steady_clock::now();
    unsigned got = 0;
    for (uint64_t i = 0; i < kN; ++i) got += bus.poll();
    std::printf("empty poll:                         %7.1f ns\n", ns_since(t0, kN));
    REQUIRE(got == 0);

    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kN; ++i) {
      bus.send(kMaster, 1, &u, sizeof u);
      bus.poll();
    }
    std::printf("send + handle, one lcore:           %7.1f ns/msg\n", ns_since(t0, kN));

    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kN / 32; ++i) {
      for (int j = 0; j < 32; ++j) bus.send(kMaster, 1, &u, sizeof u);
      bus.poll();
    }
    std::printf("send + handle, bursts of 32:        %7.1f ns/msg\n", ns_since(t0, kN / 32 * 32));

    // lcore 1 sits on the other CPU and busy-polls.
    LcoreLoops loops({1}, [&](unsigned) { return poll_loop(bus); }, true);
    const uint64_t base = sink.total();
    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kN; ++i) {
      while (bus.send(1, 1, &u, sizeof u) == ENOBUFS) rte_pause();
    }
    REQUIRE(wait_until([&] { return sink.total() == base + kN; }, 60s));
    std::printf("master -> worker, other CPU:        %7.1f ns/msg (throughput)\n", ns_since(t0, kN));

    constexpr uint64_t kCalls = 100'000;
    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kCalls; ++i) REQUIRE(bus.call_workers(2, nullptr, 0, 1s).ok());
    std::printf("call_workers, 1 busy worker:        %7.1f ns/round trip\n", ns_since(t0, kCalls));
    loops.stop();
  }
  {
    // Three workers on two CPUs, two of them sharing the master's or each other's: scheduling dominates.
    MessageBus bus(kMaster, {1, 2, 3});
    BenchSink sink;
    bus.define(1, "update", sizeof(Update), 0, &on_bench, &sink);
    bus.define(2, "ping", 0, sizeof(uint32_t), &on_bench, &sink);
    bus.seal();
    const Update u{};
    LcoreLoops loops({1, 2, 3}, [&](unsigned) { return poll_loop(bus); });
    constexpr uint64_t kM = 300'000;
    auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kM; ++i) {
      while (bus.multicast(1, &u, sizeof u) != 0) std::this_thread::yield();
    }
    // A multicast refused by one full inbox still reached the others: count what was really sent.
    REQUIRE(wait_until([&] { return sink.total() == bus.counters(kMaster).sent; }, 60s));
    std::printf("multicast to 3 (oversubscribed):    %7.1f ns/multicast (throughput)\n", ns_since(t0, kM));
    constexpr uint64_t kCalls = 2'000;
    t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kCalls; ++i) REQUIRE(bus.call_workers(2, nullptr, 0, 1s).ok());
    std::printf("call_workers, 3 (oversubscribed):   %7.1f ns/round trip\n", ns_since(t0, kCalls));
    for (unsigned lcore : bus.workers()) {
      t0 = std::chrono::steady_clock::now();
      for (uint64_t i = 0; i < kCalls / 4; ++i) REQUIRE(bus.call(lcore, 2, nullptr, 0, 1s).ok());
      std::printf("call lcore %u (oversubscribed):       %7.1f ns/round trip\n", lcore, ns_since(t0, kCalls / 4));
    }
    loops.stop();
  }
}
