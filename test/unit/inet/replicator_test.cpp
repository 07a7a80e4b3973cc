// The stream of table changes from the master to the workers: order, nothing lost when an inbox is full,
// and the wait that a control request makes until every worker has a change.
#include "replicator.hpp"

#include <catch2/catch.hpp>
#include <rte_lcore.h>

#include <atomic>
#include <mutex>

#include "test_eal.hpp"

using namespace fulcrum;
using namespace fulcrum::inet;
using namespace std::chrono_literals;

namespace {

struct Applied {
  // Written by each worker for itself, read once the loops stopped (or under the mutex while they run).
  std::mutex mu;
  std::vector<std::vector<uint32_t>> slots{2};
  std::vector<unsigned> on_lcore{0, 0};

  static void apply(void* self, unsigned w, const TableMsg& m) {
    auto* a = static_cast<Applied*>(self);
    std::lock_guard lock(a->mu);  // test bookkeeping only
    a->slots[w].push_back(m.slot);
    a->on_lcore[w] = rte_lcore_id();
  }
  size_t count(unsigned w) {
    std::lock_guard lock(mu);
    return slots[w].size();
  }
};

TableMsg change(uint32_t slot) {
  TableMsg m;
  m.op = TableOp::nexthop_set;
  m.slot = slot;
  return m;
}

std::vector<uint32_t> iota(uint32_t n) {
  std::vector<uint32_t> v;
  for (uint32_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("before the seal changes apply at once, after it they travel the bus in order") {
  test::ensure_eal();
  const auto workers = test::eal_workers();
  REQUIRE(workers.size() >= 2);
  const std::vector<unsigned> two{workers[0], workers[1]};
  core::MessageBus bus(rte_get_main_lcore(), two, 64, 1023);
  Applied applied;
  Replicator r(bus, two, 120, &Applied::apply, &applied);
  bus.seal();

  r.push(change(1));
  CHECK(applied.count(0) == 1);
  CHECK(applied.count(1) == 1);
  CHECK(applied.on_lcore[0] == rte_lcore_id());  // applied by the master itself, the workers not running

  r.seal();
  test::LcoreLoops loops(two, [&](unsigned) { return bus.poll(); });
  uint64_t last = 0;
  for (uint32_t i = 2; i <= 200; ++i) last = r.push(change(i));
  std::string err;
  REQUIRE(r.wait(last, 5s, &err) == 0);
  loops.stop();
  for (unsigned w = 0; w < 2; ++w) {
    CHECK(applied.slots[w] == iota(200));
    CHECK(applied.on_lcore[w] == two[w]);
    CHECK(r.applied(w) == last);
  }
  const auto s = r.stats();
  CHECK(s.changes == 200);
  CHECK(s.waits == 1);
  CHECK(s.max_ns > 0);
}

TEST_CASE("a full inbox parks changes in order, wait gets them through, a silent worker times out") {
  test::ensure_eal();
  const auto workers = test::eal_workers();
  const std::vector<unsigned> two{workers[0], workers[1]};
  core::MessageBus bus(rte_get_main_lcore(), two, 16, 1023);  // an inbox holds 15
  Applied applied;
  Replicator r(bus, two, 120, &Applied::apply, &applied);
  bus.seal();
  r.seal();

  uint64_t last = 0;
  for (uint32_t i = 1; i <= 100; ++i) last = r.push(change(i));
  CHECK(r.stats().backlogged >= 2 * (100 - 15));
  std::string err;
  CHECK(r.wait(last, 20ms, &err) == ETIMEDOUT);  // nobody polls yet
  CHECK_THAT(err, Catch::Contains("lcore(s) " + std::to_string(two[0]) + ", " + std::to_string(two[1])));
  CHECK(r.stats().timeouts == 1);
  {
    test::LcoreLoops loops(two, [&](unsigned) { return bus.poll(); });
    REQUIRE(r.wait(last, 5s, &err) == 0);
  }
  for (unsigned w = 0; w < 2; ++w) CHECK(applied.slots[w] == iota(100));
  CHECK(bus.pool_in_use() == 0);
}
