// With EAL and running worker lcores: a change is in every worker's own table before the call returns, the
// workers' own counters add up on the master, and a worker that does not answer in time neither breaks the
// others nor gets a copy freed under it.

#include <catch2/catch.hpp>
#include <rte_lcore.h>

#include <cerrno>
#include <cstring>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "service_test_util.hpp"
#include "test_eal.hpp"

using namespace svc_test;
using namespace std::chrono_literals;
using fulcrum::core::MessageBus;
using fulcrum::test::ensure_eal;
using fulcrum::test::LcoreLoops;
using fulcrum::test::wait_until;

namespace {

constexpr unsigned kMaster = 0;
constexpr uint16_t kProbe = 900;  // a test-only type, outside every layer's range

struct Probe {
  ServiceManager* m;
  ServiceKey key;
};

struct ProbeReply {
  uint32_t lcore;
  uint32_t n_dests;
  uint32_t first_weight;
  uint32_t found;
};

// On a worker: looks the service up in its own table, as the packet path will, and counts a connection and a
// packet on it and its first dest, as the packet path will.
int on_probe(void* ctx, const void* payload, void* reply) {
  (void)ctx;
  Probe p;
  std::memcpy(&p, payload, sizeof p);
  const unsigned lcore = rte_lcore_id();
  ProbeReply r{lcore, 0, 0, 0};
  WorkerService* s = p.m->worker_table(lcore - 1).find(p.key.protocol, p.key.family, p.key.addr, p.key.port);
  if (s != nullptr) {
    r.found = 1;
    r.n_dests = static_cast<uint32_t>(s->dests.size());
    if (!s->dests.empty()) {
      r.first_weight = s->dests[0].weight;
      s->stats.add_conn();
      s->stats.add_in(100);
      s->extra[0].stats.add_conn();
      s->extra[0].stats.add_in(100);
      ++s->dests[0].activeconns;
    }
  }
  std::memcpy(reply, &r, sizeof r);
  return 0;
}

WorkerService* on(ServiceManager& m, unsigned w, const ServiceKey& k) {
  return m.worker_table(w).find(k.protocol, k.family, k.addr, k.port);
}

}  // namespace

TEST_CASE("bus: a change is on every worker's own copy before the call returns") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  ServiceManager m(&bus, 0);
  REQUIRE(m.workers() == 3);
  bus.define(kProbe, "test.probe", sizeof(Probe), sizeof(ProbeReply), &on_probe, nullptr);
  bus.seal();
  m.go_live();
  LcoreLoops loops({1, 2, 3}, [&](unsigned) { return bus.poll(); });

  const ServiceKey k = key("198.18.0.100", 80);
  Status st = m.add_service(spec("198.18.0.100", 80, "mh"));
  INFO(st.msg);
  REQUIRE(st.ok());
  for (unsigned w = 0; w < 3; ++w) REQUIRE(on(m, w, k) != nullptr);  // no waiting: the call has returned

  for (int i = 1; i <= 3; ++i) REQUIRE(m.add_dest(k, dest("10.0.0." + std::to_string(i), 80, i)).ok());
  for (unsigned w = 0; w < 3; ++w) {
    WorkerService* s = on(m, w, k);
    REQUIRE(s->dests.size() == 3);
    CHECK(s->dests[2].weight == 3);
    for (unsigned o = 0; o < w; ++o) CHECK(on(m, o, k) != s);
  }

  // Each worker finds it in its own table, and counts on its own copy.
  const Probe probe{&m, k};
  auto r = bus.call_workers(kProbe, &probe, sizeof probe, 5s);
  REQUIRE(r.ok());
  for (const auto& rep : r.replies) {
    ProbeReply pr;
    std::memcpy(&pr, rep.bytes.data(), sizeof pr);
    CHECK(pr.lcore == rep.lcore);
    CHECK(pr.found == 1);
    CHECK(pr.n_dests == 3);
    CHECK(pr.first_weight == 1);
  }

  // A weight change reaches every worker, and the connections each worker counted stay with it.
  REQUIRE(m.edit_dest(k, dest("10.0.0.1", 80, 9)).ok());
  for (unsigned w = 0; w < 3; ++w) {
    CHECK(on(m, w, k)->dests[0].weight == 9);
    CHECK(on(m, w, k)->dests[0].activeconns == 1);
  }
  ServiceInfo info;
  REQUIRE(m.get_service(k, &info).ok());
  CHECK(info.stats == Stats{3, 3, 0, 300, 0});
  std::vector<DestInfo> dests;
  REQUIRE(m.list_dests(k, &dests).ok());
  CHECK(dests[0].activeconns == 3);
  CHECK(dests[0].stats.conns == 3);

  REQUIRE(m.zero_all().ok());
  REQUIRE(m.get_service(k, &info).ok());
  CHECK(info.stats == Stats{});

  REQUIRE(m.del_service(k).ok());
  for (unsigned w = 0; w < 3; ++w) CHECK(on(m, w, k) == nullptr);
  r = bus.call_workers(kProbe, &probe, sizeof probe, 5s);
  REQUIRE(r.ok());
  for (const auto& rep : r.replies) {
    ProbeReply pr;
    std::memcpy(&pr, rep.bytes.data(), sizeof pr);
    CHECK(pr.found == 0);
  }
  CHECK(m.parked() == 0);
  loops.stop();
  CHECK(bus.pool_in_use() == 0);
}

TEST_CASE("bus: a worker that does not answer in time gets its change late, and nothing is freed under it") {
  ensure_eal();
  MessageBus bus(kMaster, {1, 2, 3});
  ServiceManagerOptions opt;
  opt.call_timeout = 400ms;  // long enough for the polling workers on a loaded machine
  ServiceManager m(&bus, 0, opt);
  bus.seal();
  m.go_live();
  LcoreLoops some({1, 2}, [&](unsigned) { return bus.poll(); });  // lcore 3 does not poll yet

  const ServiceKey k = key("198.18.0.100", 80);
  Status st = m.add_service(spec("198.18.0.100", 80, "rr"));
  CHECK(st.err == ETIMEDOUT);
  CHECK_THAT(st.msg, Catch::Contains("lcore 3"));
  CHECK(on(m, 0, k) != nullptr);
  CHECK(on(m, 1, k) != nullptr);
  CHECK(m.parked() == 0);  // lcore 3 had no copy to hold back
  // The master's table has the service: the next change goes ahead.
  st = m.add_dest(k, dest("10.0.0.1", 80));
  CHECK(st.err == ETIMEDOUT);
  CHECK(m.parked() == 1);  // the copy lcore 3 will drop when it catches up
  REQUIRE(on(m, 0, k)->dests.size() == 1);

  // Lcore 3 wakes up and applies both, in order.
  LcoreLoops late({3}, [&](unsigned) { return bus.poll(); });
  REQUIRE(wait_until([&] {
    const WorkerService* s = bus.counters(3).late_replies == 2 ? on(m, 2, k) : nullptr;
    return s != nullptr && s->dests.size() == 1;
  }));
  // And from now on every worker answers.
  REQUIRE(m.edit_dest(k, dest("10.0.0.1", 80, 4)).ok());
  for (unsigned w = 0; w < 3; ++w) CHECK(on(m, w, k)->dests[0].weight == 4);
  some.stop();
  late.stop();
  CHECK(bus.pool_in_use() == 0);
}
