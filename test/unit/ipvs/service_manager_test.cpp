// The control API without lcores: changes are installed in every worker's table directly, as at start-up.
// The same flow over the message bus is in service_bus_test.cpp.

#include <catch2/catch.hpp>

#include <cerrno>

#include "fulcrum/ipvs/service_manager.hpp"
#include "service_test_util.hpp"

using namespace svc_test;

namespace {

constexpr unsigned kWorkers = 3;

WorkerService* on(ServiceManager& m, unsigned w, const ServiceKey& k) {
  return m.worker_table(w).find(k.protocol, k.family, k.addr, k.port);
}

}  // namespace

TEST_CASE("manager: every worker gets its own copy of a service and its real servers") {
  ServiceManager m(nullptr, kWorkers);
  const ServiceKey k = key("198.18.0.100", 80);
  REQUIRE(m.add_service(spec("198.18.0.100", 80, "rr")).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.1", 80)).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.2", 80, 3, ForwardMethod::droute)).ok());
  for (unsigned w = 0; w < kWorkers; ++w) {
    WorkerService* s = on(m, w, k);
    REQUIRE(s != nullptr);
    REQUIRE(s->dests.size() == 2);
    CHECK(s->dests[1].weight == 3);
    CHECK(s->extra[1].forward == ForwardMethod::droute);
    CHECK(s->scheduler_name == "rr");
    for (unsigned o = 0; o < w; ++o) {
      CHECK(on(m, o, k) != s);
      CHECK(on(m, o, k)->dests.data() != s->dests.data());
    }
    // rr from the start on each worker: its own scheduler, its own place.
    CHECK(s->pick(SchedInput{}) == 0);
    CHECK(s->pick(SchedInput{}) == 1);
  }
}

TEST_CASE("manager: errors pass through with the kernel's errno") {
  ServiceManager m(nullptr, 2);
  REQUIRE(m.add_service(spec("198.18.0.100", 80)).ok());
  CHECK(m.add_service(spec("198.18.0.100", 80)).err == EEXIST);
  CHECK(m.del_service(key("198.18.0.1", 80)).err == ESRCH);
  CHECK(m.del_dest(key("198.18.0.100", 80), dest_id("10.0.0.1", 80)).err == ENOENT);
  CHECK(m.zero(key("198.18.0.1", 80)).err == ESRCH);
  ServiceInfo info;
  CHECK(m.get_service(key("198.18.0.1", 80), &info).err == ESRCH);
  std::vector<DestInfo> dests;
  CHECK(m.list_dests(key("198.18.0.1", 80), &dests).err == ESRCH);
}

TEST_CASE("manager: a change keeps each worker's live counters, and the master sums them") {
  ServiceManager m(nullptr, kWorkers);
  const ServiceKey k = key("198.18.0.100", 80);
  REQUIRE(m.add_service(spec("198.18.0.100", 80, "wlc")).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.1", 80)).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.2", 80)).ok());
  for (unsigned w = 0; w < kWorkers; ++w) {
    WorkerService* s = on(m, w, k);
    s->stats.add_conn();
    s->stats.add_in(100);
    s->extra[1].stats.add_conn();
    s->extra[1].stats.add_out(40);
    s->dests[1].activeconns = w + 1;
  }
  // Weight change, a new dest, and a removal: each one a new copy on every worker.
  DestSpec d2 = dest("10.0.0.2", 80, 5);
  REQUIRE(m.edit_dest(k, d2).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.3", 80)).ok());
  REQUIRE(m.del_dest(k, dest_id("10.0.0.1", 80)).ok());

  for (unsigned w = 0; w < kWorkers; ++w) {
    WorkerService* s = on(m, w, k);
    REQUIRE(s->dests.size() == 2);
    CHECK(s->dests[0].id == dest_id("10.0.0.2", 80));
    CHECK(s->dests[0].weight == 5);
    CHECK(s->dests[0].activeconns == w + 1);
  }
  ServiceInfo info;
  REQUIRE(m.get_service(k, &info).ok());
  CHECK(info.num_dests == 2);
  CHECK(info.stats == Stats{kWorkers, kWorkers, 0, 100 * kWorkers, 0});
  std::vector<DestInfo> dests;
  REQUIRE(m.list_dests(k, &dests).ok());
  REQUIRE(dests.size() == 2);
  CHECK(dests[0].spec.weight == 5);
  CHECK(dests[0].activeconns == 1 + 2 + 3);
  CHECK(dests[0].stats == Stats{kWorkers, 0, kWorkers, 0, 40 * kWorkers});
  CHECK(dests[1].stats == Stats{});

  REQUIRE(m.zero(k).ok());
  REQUIRE(m.get_service(k, &info).ok());
  CHECK(info.stats == Stats{});
  REQUIRE(m.list_dests(k, &dests).ok());
  CHECK(dests[0].stats == Stats{});
  CHECK(dests[0].activeconns == 6);  // zeroing is about traffic counters, not live connections
}

TEST_CASE("manager: list in the order added, flush empties every worker, zero_all zeroes everything") {
  ServiceManager m(nullptr, 2);
  REQUIRE(m.add_service(spec("198.18.0.3", 80)).ok());
  REQUIRE(m.add_service(spec("198.18.0.1", 80)).ok());
  REQUIRE(m.add_service(spec("2001:db8::1", 443, "mh")).ok());
  REQUIRE(m.del_service(key("198.18.0.3", 80)).ok());
  REQUIRE(m.add_service(spec("198.18.0.2", 53, "rr", kProtoUdp)).ok());
  const auto list = m.list_services();
  REQUIRE(list.size() == 3);
  CHECK(list[0].spec.key == key("198.18.0.1", 80));
  CHECK(list[1].spec.key == key("2001:db8::1", 443));
  CHECK(list[1].spec.netmask == 128u);
  CHECK(list[2].spec.key == key("198.18.0.2", 53, kProtoUdp));
  CHECK(on(m, 1, key("198.18.0.3", 80)) == nullptr);

  on(m, 0, key("198.18.0.1", 80))->stats.add_in(1);
  on(m, 1, key("198.18.0.2", 53, kProtoUdp))->stats.add_in(1);
  REQUIRE(m.zero_all().ok());
  for (const auto& s : m.list_services()) CHECK(s.stats == Stats{});

  REQUIRE(m.flush().ok());
  CHECK(m.list_services().empty());
  for (unsigned w = 0; w < 2; ++w) CHECK(m.worker_table(w).size() == 0);
  CHECK(m.flush().ok());  // flushing nothing is fine, as in the kernel
}

TEST_CASE("manager: editing a service swaps the scheduler on every worker and keeps the counters") {
  ServiceManager m(nullptr, 2);
  const ServiceKey k = key("198.18.0.100", 80);
  REQUIRE(m.add_service(spec("198.18.0.100", 80, "rr")).ok());
  REQUIRE(m.add_dest(k, dest("10.0.0.1", 80)).ok());
  on(m, 0, k)->stats.add_conn();
  ServiceSpec e = spec("198.18.0.100", 80, "none");
  e.flags = kSvcPersistent;
  e.timeout_s = 360;
  REQUIRE(m.edit_service(e).ok());
  for (unsigned w = 0; w < 2; ++w) {
    WorkerService* s = on(m, w, k);
    CHECK(s->scheduler == nullptr);
    CHECK(s->pick(SchedInput{}) == kNoDest);
    CHECK(s->timeout_s == 360);
    CHECK(s->flags == kSvcPersistent);
  }
  CHECK(on(m, 0, k)->stats.snapshot().conns == 1);
}
