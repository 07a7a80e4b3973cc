// One worker's table: the index, the catch-all port, and counters carried across a change. No EAL.

#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "fulcrum/ipvs/worker_service.hpp"
#include "service_test_util.hpp"

using namespace svc_test;

namespace {

std::unique_ptr<WorkerService> copy_of(const ServiceKey& k, uint32_t slot, std::vector<DestId> ids = {}) {
  auto c = std::make_unique<WorkerService>(ids.size());
  c->key = k;
  c->slot = slot;
  for (size_t i = 0; i < ids.size(); ++i) c->dests[i].id = ids[i];
  return c;
}

WorkerService* swap(WorkerServices& t, uint32_t slot, WorkerService* next) {
  WorkerService* old = nullptr;
  REQUIRE(t.install(slot, next, &old));
  return old;
}

}  // namespace

TEST_CASE("worker table: find by protocol, family, VIP and port") {
  WorkerServices t(8);
  auto a = copy_of(key("198.18.0.100", 80), 0);
  auto b = copy_of(key("198.18.0.100", 80, kProtoUdp), 1);
  auto c = copy_of(key("2001:db8::100", 80), 2);
  CHECK(swap(t, 0, a.get()) == nullptr);
  CHECK(swap(t, 1, b.get()) == nullptr);
  CHECK(swap(t, 2, c.get()) == nullptr);
  CHECK(t.size() == 3);
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(80)) == a.get());
  CHECK(t.find(kProtoUdp, Family::v4, addr("198.18.0.100"), port_be(80)) == b.get());
  CHECK(t.find(kProtoTcp, Family::v6, addr("2001:db8::100"), port_be(80)) == c.get());
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(81)) == nullptr);
  CHECK(t.find(kProtoSctp, Family::v4, addr("198.18.0.100"), port_be(80)) == nullptr);
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.101"), port_be(80)) == nullptr);
  WorkerService* old = nullptr;
  CHECK_FALSE(t.install(8, a.get(), &old));  // out of range: nothing changes
  CHECK(t.size() == 3);
}

TEST_CASE("worker table: the VIP's port-0 service catches the ports without a service of their own") {
  WorkerServices t(4);
  auto any = copy_of(key("198.18.0.100", 0), 0);
  auto web = copy_of(key("198.18.0.100", 80), 1);
  swap(t, 1, web.get());
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(22)) == nullptr);
  swap(t, 0, any.get());
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(22)) == any.get());
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(80)) == web.get());
  CHECK(t.find(kProtoUdp, Family::v4, addr("198.18.0.100"), port_be(22)) == nullptr);
  CHECK(swap(t, 0, nullptr) == any.get());
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(22)) == nullptr);
}

TEST_CASE("worker table: a new copy takes over the counters of the dests it keeps") {
  WorkerServices t(4);
  const ServiceKey k = key("198.18.0.100", 80);
  auto v1 = copy_of(k, 0, {dest_id("10.0.0.1", 80), dest_id("10.0.0.2", 80), dest_id("10.0.0.3", 80)});
  swap(t, 0, v1.get());
  v1->stats.add_conn();
  v1->stats.add_in(100);
  v1->stats.add_out(1500);
  v1->dests[2].activeconns = 7;
  v1->dests[2].inactconns = 3;
  v1->extra[2].stats.add_in(60);
  v1->dests[0].activeconns = 1;

  // 10.0.0.2 removed, 10.0.0.4 added; the hint says where each was.
  auto v2 = copy_of(k, 0, {dest_id("10.0.0.1", 80), dest_id("10.0.0.3", 80), dest_id("10.0.0.4", 80)});
  v2->prev_index = {0, 2, kNoDest};
  CHECK(swap(t, 0, v2.get()) == v1.get());
  CHECK(v2->stats.snapshot() == Stats{1, 1, 1, 100, 1500});
  CHECK(v2->dests[0].activeconns == 1);
  CHECK(v2->dests[1].activeconns == 7);
  CHECK(v2->dests[1].inactconns == 3);
  CHECK(v2->extra[1].stats.snapshot().inbytes == 60);
  CHECK(v2->dests[2].activeconns == 0);

  // A wrong hint (a worker that missed a change) falls back to the identity.
  auto v3 = copy_of(k, 0, {dest_id("10.0.0.3", 80), dest_id("10.0.0.1", 80)});
  v3->prev_index = {0, 1};
  swap(t, 0, v3.get());
  CHECK(v3->dests[0].activeconns == 7);
  CHECK(v3->dests[1].activeconns == 1);

  // Another service in the slot (the master reused it) starts from zero.
  auto other = copy_of(key("198.18.0.200", 80), 0, {dest_id("10.0.0.3", 80)});
  swap(t, 0, other.get());
  CHECK(other->stats.snapshot() == Stats{});
  CHECK(other->dests[0].activeconns == 0);
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(80)) == nullptr);
  CHECK(t.find(kProtoTcp, Family::v4, addr("198.18.0.200"), port_be(80)) == other.get());
}

TEST_CASE("worker table: overload flag follows the carried counters under the new thresholds") {
  WorkerServices t(2);
  const ServiceKey k = key("198.18.0.100", 80);
  auto v1 = copy_of(k, 0, {dest_id("10.0.0.1", 80)});
  swap(t, 0, v1.get());
  v1->dests[0].activeconns = 10;
  v1->dests[0].flags |= kDestOverload;
  auto v2 = copy_of(k, 0, {dest_id("10.0.0.1", 80)});
  v2->dests[0].u_threshold = 100;  // raised well above the 10 it has
  swap(t, 0, v2.get());
  CHECK((v2->dests[0].flags & kDestOverload) == 0);
  auto v3 = copy_of(k, 0, {dest_id("10.0.0.1", 80)});
  v3->dests[0].u_threshold = 5;  // lowered below
  swap(t, 0, v3.get());
  CHECK((v3->dests[0].flags & kDestOverload) != 0);
}

TEST_CASE("worker table: zero one service or all") {
  WorkerServices t(4);
  auto a = copy_of(key("198.18.0.1", 80), 0, {dest_id("10.0.0.1", 80)});
  auto b = copy_of(key("198.18.0.2", 80), 1, {dest_id("10.0.0.1", 80)});
  swap(t, 0, a.get());
  swap(t, 1, b.get());
  a->stats.add_in(10);
  a->extra[0].stats.add_out(10);
  b->stats.add_in(10);
  t.zero(0);
  CHECK(a->stats.snapshot() == Stats{});
  CHECK(a->extra[0].stats.snapshot() == Stats{});
  CHECK(b->stats.snapshot().inpkts == 1);
  t.zero_all();
  CHECK(b->stats.snapshot() == Stats{});
}

TEST_CASE("worker table: random installs and removals agree with a map") {
  constexpr uint32_t kSlots = 300;
  WorkerServices t(kSlots);
  std::vector<std::unique_ptr<WorkerService>> owned;
  std::map<uint32_t, WorkerService*> model;  // slot -> copy
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const uint32_t slot = rng() % kSlots;
    WorkerService* next = nullptr;
    if (rng() % 3 != 0) {
      // Few VIPs and ports, so that keys collide in their home buckets and removals shift entries.
      const std::string vip = (rng() % 4 == 0 ? "2001:db8::" : "198.18.0.") + std::to_string(1 + rng() % 40);
      owned.push_back(copy_of(key(vip, static_cast<uint16_t>(rng() % 3 * 80), rng() % 2 ? kProtoTcp : kProtoUdp), slot));
      next = owned.back().get();
      // One key lives in one slot at a time, as the master guarantees.
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->first != slot && it->second->key == next->key) {
          swap(t, it->first, nullptr);
          model.erase(it);
          break;
        }
      }
    }
    WorkerService* want_old = model.count(slot) ? model[slot] : nullptr;
    CHECK(swap(t, slot, next) == want_old);
    if (next) model[slot] = next; else model.erase(slot);
    if (step % 500 == 0 || step == 19999) {
      REQUIRE(t.size() == model.size());
      for (const auto& [s, c] : model) {
        const ServiceKey& k = c->key;
        WorkerService* got = t.find(k.protocol, k.family, k.addr, k.port);
        REQUIRE(got == c);
      }
    }
  }
}
