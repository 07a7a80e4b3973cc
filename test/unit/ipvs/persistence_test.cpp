// Persistence templates (PersistTable) and the NAT steering helpers: a client network keeps its real server
// across connections while its template lives, other networks are scheduled as usual, a removed real server
// or an expired template lets the scheduler pick again, and a full bucket gives way without allocating.

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "dataplane/nat_steer.hpp"
#include "dataplane/persistence.hpp"
#include "dataplane_test_util.hpp"
#include "fulcrum/ipvs/scheduler_registry.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using Access = fulcrum::ipvs::DataplaneTestAccess;

namespace {

// A persistent rr service over `n` real servers 10.0.1.1.. (uids 100..).
std::unique_ptr<WorkerService> persistent_service(size_t n, uint32_t timeout_s, uint32_t netmask,
                                                  Family f = Family::v4) {
  auto s = std::make_unique<WorkerService>(n);
  s->key.protocol = IPPROTO_TCP;
  s->key.family = f;
  s->key.port = htons(80);
  s->slot = 2;
  s->uid = 7;
  s->flags = kSvcPersistent;
  s->timeout_s = timeout_s;
  s->netmask = netmask;
  for (size_t i = 0; i < n; ++i) {
    s->dests[i].id.family = f;
    s->dests[i].id.addr.bytes[0] = 10;
    s->dests[i].id.addr.bytes[3] = static_cast<uint8_t>(1 + i);
    s->dests[i].id.port = htons(8080);
    s->extra[i].uid = static_cast<uint32_t>(100 + i);
  }
  s->scheduler = make_scheduler("rr");
  s->scheduler->rebuild(s->dests);
  return s;
}

SchedInput client4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint32_t now_s, uint16_t sport = 1234) {
  SchedInput in;
  in.saddr.bytes = {a, b, c, d};
  in.family = Family::v4;
  in.protocol = IPPROTO_TCP;
  in.sport = htons(sport);
  in.dport = htons(80);
  in.now_s = now_s;
  return in;
}

}  // namespace

TEST_CASE("persistence: one client keeps its real server across connections, others are scheduled") {
  PersistTable t(1024);
  DpCounters ctr;
  auto svc = persistent_service(3, 300, 0xffffffffu);
  const DestIndex first = t.pick(*svc, client4(198, 18, 0, 2, 10, 1000), ctr);
  REQUIRE(first != kNoDest);
  for (uint16_t port = 1001; port < 1101; ++port) {
    CHECK(t.pick(*svc, client4(198, 18, 0, 2, 10 + port % 7, port), ctr) == first);
  }
  CHECK(ctr.get(DpCtr::persist_created) == 1);
  CHECK(ctr.get(DpCtr::persist_hit) == 100);
  // Other clients go round robin, each then sticking to its own.
  std::map<int, DestIndex> got;
  std::set<DestIndex> used;
  for (int c = 10; c < 40; ++c) {
    got[c] = t.pick(*svc, client4(198, 18, 0, static_cast<uint8_t>(c), 20), ctr);
    used.insert(got[c]);
  }
  CHECK(used.size() == 3);
  for (int c = 10; c < 40; ++c) CHECK(t.pick(*svc, client4(198, 18, 0, static_cast<uint8_t>(c), 21), ctr) == got[c]);
  CHECK(t.live(21) == 31);
}

TEST_CASE("persistence: the netmask makes one template for a whole client network") {
  PersistTable t(1024);
  DpCounters ctr;
  auto svc = persistent_service(3, 300, 0xffffff00u);  // -M 255.255.255.0
  const DestIndex d = t.pick(*svc, client4(198, 18, 0, 2, 1), ctr);
  for (int host = 3; host < 60; ++host)
    CHECK(t.pick(*svc, client4(198, 18, 0, static_cast<uint8_t>(host), 1), ctr) == d);
  CHECK(ctr.get(DpCtr::persist_created) == 1);
  // The next network is another template (rr moves on).
  CHECK(t.pick(*svc, client4(198, 18, 1, 2, 1), ctr) != d);
  CHECK(ctr.get(DpCtr::persist_created) == 2);

  uint8_t out[16];
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4};
  PersistTable::mask_client(Family::v6, 60, v6, out);
  const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x70};
  CHECK(std::memcmp(out, want, 16) == 0);
  PersistTable::mask_client(Family::v6, 128, v6, out);
  CHECK(std::memcmp(out, v6, 16) == 0);
  const uint8_t a4[16] = {198, 18, 7, 9};
  PersistTable::mask_client(Family::v4, 0, a4, out);
  CHECK(std::memcmp(out, std::array<uint8_t, 16>{}.data(), 16) == 0);
}

TEST_CASE("persistence: a template expires after the timeout without new connections") {
  PersistTable t(1024);
  DpCounters ctr;
  auto svc = persistent_service(3, 300, 0xffffffffu);
  const DestIndex d = t.pick(*svc, client4(198, 18, 0, 2, 100), ctr);
  // Each connection renews it.
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 350), ctr) == d);
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 649), ctr) == d);
  CHECK(t.live(649) == 1);
  CHECK(t.live(949) == 0);
  // Gone: rr picks the next one (it had picked once since).
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 949), ctr) != d);
  CHECK(ctr.get(DpCtr::persist_created) == 2);
}

TEST_CASE("persistence: a removed real server drops the template, a quiescent one keeps it") {
  PersistTable t(1024);
  DpCounters ctr;
  auto svc = persistent_service(3, 300, 0xffffffffu);
  const DestIndex d = t.pick(*svc, client4(198, 18, 0, 2, 1), ctr);
  svc->dests[d].weight = 0;
  svc->scheduler->rebuild(svc->dests);
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 2), ctr) == d);  // as the kernel's expire_quiescent_template = 0
  // The service changes: the dest leaves, the others move (a new copy with the rest, same uids).
  auto next = persistent_service(2, 300, 0xffffffffu);
  size_t j = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (i == d) continue;
    next->dests[j] = svc->dests[i];
    next->dests[j].weight = 1;
    next->extra[j].uid = svc->extra[i].uid;
    ++j;
  }
  next->scheduler->rebuild(next->dests);
  const DestIndex again = t.pick(*next, client4(198, 18, 0, 2, 3), ctr);
  REQUIRE(again != kNoDest);
  CHECK(next->extra[again].uid != svc->extra[d].uid);
  // And the new template holds, found by the real server's identity even after its index moves.
  CHECK(t.pick(*next, client4(198, 18, 0, 2, 4), ctr) == again);
}

TEST_CASE("persistence: services keep their own templates, and a full bucket gives way") {
  PersistTable t(4);  // one bucket of four
  CHECK(t.capacity() == 4);
  DpCounters ctr;
  auto a = persistent_service(3, 300, 0xffffffffu);
  auto b = persistent_service(3, 300, 0xffffffffu);
  b->uid = 8;
  b->slot = 3;
  for (int c = 1; c <= 4; ++c) t.pick(*a, client4(198, 18, 0, static_cast<uint8_t>(c), c), ctr);
  CHECK(ctr.get(DpCtr::persist_full) == 0);
  CHECK(t.live(5) == 4);
  // A fifth takes the place of the one nearest expiry (client 1, made at second 1).
  t.pick(*b, client4(198, 18, 0, 1, 5), ctr);
  CHECK(ctr.get(DpCtr::persist_full) == 1);
  CHECK(t.live(5) == 4);
  // Client 2's template on service a is still there.
  const uint64_t hits = ctr.get(DpCtr::persist_hit);
  t.pick(*a, client4(198, 18, 0, 2, 6), ctr);
  CHECK(ctr.get(DpCtr::persist_hit) == hits + 1);
}

TEST_CASE("persistence: without a dest the scheduler's kNoDest comes back and nothing is stored") {
  PersistTable t(64);
  DpCounters ctr;
  auto svc = persistent_service(2, 300, 0xffffffffu);
  for (auto& d : svc->dests) d.weight = 0;
  svc->scheduler->rebuild(svc->dests);
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 1), ctr) == kNoDest);
  CHECK(t.live(1) == 0);
}

TEST_CASE("persistence: on the path, a persistent service's new connections from one client share a real server") {
  Core core;
  core.L.persist = std::make_unique<PersistTable>(256);
  const Endpoints e = endpoints(4);
  WorkerService& svc = core.add_service(e, IPPROTO_TCP, false, ForwardMethod::masq);
  svc.flags |= kSvcPersistent;
  svc.timeout_s = 300;
  svc.netmask = 0xffffffffu;
  // add_service's service has one real server and no scheduler: the template is all there is to see here.
  SchedInput in;
  std::memcpy(in.saddr.bytes.data(), e.caddr.data(), 4);
  CHECK(core.L.persist->pick(svc, in, core.L.ctr) == kNoDest);
  svc.scheduler = make_scheduler("rr");
  svc.scheduler->rebuild(svc.dests);
  CHECK(core.L.persist->pick(svc, in, core.L.ctr) == 0);
  CHECK(core.L.persist->pick(svc, in, core.L.ctr) == 0);
  CHECK(ctr(core.L, DpCtr::persist_created) == 1);
  CHECK(ctr(core.L, DpCtr::persist_hit) == 1);
}

TEST_CASE("nat steering: a client's owner worker is the same from either direction, and spread") {
  const uint8_t a[16] = {198, 18, 0, 2};
  CHECK(client_owner(4, a, 1) == 0);
  std::map<unsigned, int> per;
  for (int i = 0; i < 4000; ++i) {
    uint8_t c[16] = {10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 7};
    const unsigned w = client_owner(4, c, 4);
    REQUIRE(w < 4);
    CHECK(client_owner(4, c, 4) == w);
    ++per[w];
  }
  for (auto& [w, n] : per) CHECK(n > 700);
  auto svc = persistent_service(2, 0, 0xffffffffu);
  CHECK(service_steers(*svc));  // persistent
  svc->flags = 0;
  svc->extra[0].forward = ForwardMethod::fullnat;
  svc->extra[1].forward = ForwardMethod::droute;
  CHECK_FALSE(service_steers(*svc));
  svc->extra[1].forward = ForwardMethod::masq;
  CHECK(service_steers(*svc));
}

TEST_CASE("nat steering: the NAT real servers of a worker's table, followed across changes") {
  WorkerServices table(8);
  NatDestSet set;
  auto svc = persistent_service(2, 0, 0xffffffffu);
  svc->extra[0].forward = ForwardMethod::masq;
  svc->extra[1].forward = ForwardMethod::fullnat;
  const uint8_t* rs0 = svc->dests[0].id.addr.bytes.data();
  const uint8_t* rs1 = svc->dests[1].id.addr.bytes.data();
  CHECK_FALSE(set.contains(table, 4, rs0, htons(8080)));  // not initialised: nothing
  set.init();
  CHECK_FALSE(set.contains(table, 4, rs0, htons(8080)));
  WorkerService* old = nullptr;
  REQUIRE(table.install(svc->slot, svc.get(), &old));
  CHECK(set.contains(table, 4, rs0, htons(8080)));
  CHECK_FALSE(set.contains(table, 4, rs0, htons(8081)));
  CHECK_FALSE(set.contains(table, 6, rs0, htons(8080)));
  CHECK_FALSE(set.contains(table, 4, rs1, htons(8080)));  // FullNAT: steered by its local port instead
  REQUIRE(table.install(svc->slot, nullptr, &old));
  CHECK_FALSE(set.contains(table, 4, rs0, htons(8080)));
  CHECK_FALSE(set.overflowed());
}

TEST_CASE("persistence: the end of a connection it made keeps the template for another timeout") {
  PersistTable t(1024);
  DpCounters ctr;
  auto svc = persistent_service(3, 300, 0xffffff00u);
  const SchedInput in = client4(198, 18, 0, 2, 100);
  const DestIndex d = t.pick(*svc, in, ctr);
  const uint32_t uid = svc->extra[d].uid;
  // A long connection from another host of the network ends at 350: the template lives until 650.
  const uint8_t other[16] = {198, 18, 0, 77};
  t.keep(*svc, Family::v4, other, uid, 350);
  CHECK(t.live(649) == 1);
  CHECK(t.live(650) == 0);
  // An earlier end never shortens it; another real server's connection (the template changed since) or an
  // expired template is left alone.
  t.keep(*svc, Family::v4, other, uid, 120);
  CHECK(t.live(649) == 1);
  t.keep(*svc, Family::v4, other, uid + 1, 600);
  CHECK(t.live(651) == 0);
  t.keep(*svc, Family::v4, other, uid, 700);
  CHECK(t.live(701) == 0);
  CHECK(t.pick(*svc, client4(198, 18, 0, 2, 701), ctr) != d);
}
