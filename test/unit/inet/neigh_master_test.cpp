#include "neigh_master.hpp"

#include <catch2/catch.hpp>

using namespace fulcrum::inet;

namespace {

struct FakeEnv : NeighEnv {
  std::vector<TableMsg> pushed;
  std::vector<std::pair<NeighKey, bool>> solicits;  // (key, unicast)
  std::vector<NeighKey> failures;
  uint32_t used = 0;  // what last_used() answers

  void push(const TableMsg& m) override { pushed.push_back(m); }
  void solicit(const NeighKey& key, const Mac* unicast) override { solicits.emplace_back(key, unicast != nullptr); }
  uint32_t last_used(uint32_t) override { return used; }
  void failed(const NeighKey& key) override { failures.push_back(key); }
};

const Mac kMac{2, 0, 0xc6, 0x12, 0, 2};
const Mac kOther{2, 0, 0xc6, 0x12, 0, 3};

struct Fixture {
  NeighConfig cfg{1000, 100, 3, 5000, 500};  // reachable, retrans, probes, stale, delay (ms; 1 tick = 1 ms)
  fulcrum::core::TimerWheel wheel{0};
  FakeEnv env;
  NeighMaster nm{cfg, 8, 1000, wheel, env};
  NeighKey key = NeighKey::of(1, *Addr::parse("198.18.0.2"));
  uint32_t now = 0;

  void advance(uint32_t ms) {
    now += ms;
    wheel.advance(now);
  }
  NeighState state() const { return nm.find(key) ? nm.find(key)->state : NeighState::none; }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "resolution: solicit, retransmit, then FAILED and the workers drop what waits") {
  REQUIRE(nm.resolve(key));
  CHECK(state() == NeighState::incomplete);
  CHECK(env.solicits.size() == 1);
  CHECK_FALSE(env.solicits[0].second);  // broadcast
  CHECK(nm.resolve(key));               // a second worker asking changes nothing
  CHECK(env.solicits.size() == 1);
  advance(100);
  advance(100);
  CHECK(env.solicits.size() == 3);
  CHECK(env.pushed.empty());  // nothing with a MAC: the workers hear nothing yet
  advance(100);
  CHECK(state() == NeighState::failed);
  REQUIRE(env.pushed.size() == 1);
  CHECK(env.pushed[0].op == TableOp::neigh_del);
  CHECK(env.failures.size() == 1);
  // A new request starts over.
  REQUIRE(nm.resolve(key));
  CHECK(state() == NeighState::incomplete);
  CHECK(env.solicits.size() == 4);
  // FAILED entries go after stale_ms.
  advance(300);
  advance(5000);
  CHECK_FALSE(nm.find(key));
}

TEST_CASE_METHOD(Fixture, "an answer makes it REACHABLE and reaches the workers with its slot") {
  REQUIRE(nm.resolve(key));
  nm.learnt(key, &kMac, true, false);
  CHECK(state() == NeighState::reachable);
  REQUIRE(env.pushed.size() == 1);
  const TableMsg& m = env.pushed[0];
  CHECK(m.op == TableOp::neigh_set);
  CHECK(m.mac == kMac);
  CHECK(m.slot != 0);
  CHECK(m.state == NeighState::reachable);
  CHECK(m.ifindex == 1);
  // A worker that asks again (a lost message) gets the entry again.
  REQUIRE(nm.resolve(key));
  CHECK(env.pushed.size() == 2);
  CHECK(env.pushed[1].op == TableOp::neigh_set);
}

TEST_CASE_METHOD(Fixture, "unused REACHABLE goes STALE then away, used goes to PROBE") {
  nm.learnt(key, &kMac, true, false);
  advance(1300);  // past reachable_ms with the largest jitter
  CHECK(state() == NeighState::stale);
  CHECK(env.pushed.back().state == NeighState::stale);
  env.used = now | 1;  // a worker sends through it
  advance(500);
  CHECK(state() == NeighState::probe);
  REQUIRE_FALSE(env.solicits.empty());
  CHECK(env.solicits.back().second);  // unicast, to the MAC we know
  nm.learnt(key, &kMac, true, false);  // it answers
  CHECK(state() == NeighState::reachable);
  env.used = 0;
  advance(1300);
  CHECK(state() == NeighState::stale);
  advance(5500);
  CHECK_FALSE(nm.find(key));
  CHECK(env.pushed.back().op == TableOp::neigh_del);
}

TEST_CASE_METHOD(Fixture, "a PROBE nobody answers ends FAILED and the workers stop using it") {
  nm.learnt(key, &kMac, true, false);
  env.used = 1;
  advance(1300);
  CHECK(state() == NeighState::probe);
  env.used = now | 1;
  advance(100);
  advance(100);
  advance(100);
  CHECK(state() == NeighState::failed);
  CHECK(env.pushed.back().op == TableOp::neigh_del);
  CHECK(env.failures.size() == 1);
}

TEST_CASE_METHOD(Fixture, "learning: requests create STALE, update-only never creates, MACs change") {
  nm.learnt(key, &kMac, false, true);
  CHECK_FALSE(nm.find(key));  // overheard: no entry made
  nm.learnt(key, &kMac, false, false);
  CHECK(state() == NeighState::stale);
  nm.learnt(key, &kMac, false, true);
  CHECK(env.pushed.size() == 1);  // the same again: nothing to tell
  nm.learnt(key, &kOther, false, true);
  CHECK(nm.find(key)->mac == kOther);
  CHECK(env.pushed.size() == 2);
  nm.learnt(key, nullptr, true, false);  // an NA without a link-layer option confirms
  CHECK(state() == NeighState::reachable);
}

TEST_CASE_METHOD(Fixture, "static entries: permanent, not overwritten, removed on request") {
  std::string err;
  REQUIRE(nm.add_static(key, kMac, err) == 0);
  CHECK(state() == NeighState::permanent);
  nm.learnt(key, &kOther, true, false);
  CHECK(nm.find(key)->mac == kMac);
  advance(100000);
  CHECK(state() == NeighState::permanent);
  CHECK(nm.flush(std::nullopt, 0) == 0);
  CHECK(nm.add_static(key, Mac{1, 0, 0, 0, 0, 1}, err) == EINVAL);  // multicast
  CHECK(nm.remove(key, err) == 0);
  CHECK(env.pushed.back().op == TableOp::neigh_del);
  CHECK(nm.remove(key, err) == ENOENT);
  CHECK(err == "no neighbour 198.18.0.2");
}

TEST_CASE_METHOD(Fixture, "the table is bounded, flush and device removal") {
  for (int i = 0; i < 8; ++i) {
    REQUIRE(nm.resolve(NeighKey::of(1, *Addr::parse(("198.18.0." + std::to_string(10 + i)).c_str()))));
  }
  CHECK_FALSE(nm.resolve(NeighKey::of(1, *Addr::parse("198.18.0.99"))));
  CHECK(nm.flush(Family::v6, 0) == 0);
  CHECK(nm.flush(Family::v4, 2) == 0);
  CHECK(nm.flush(Family::v4, 1) == 8);
  CHECK(nm.size() == 0);
  std::string err;
  REQUIRE(nm.add_static(NeighKey::of(2, *Addr::parse("2001:db8::5")), kMac, err) == 0);
  nm.remove_ifindex(2);
  CHECK(nm.size() == 0);
}
