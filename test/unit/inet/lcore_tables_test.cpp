// One worker's tables on DPDK's FIB and hash: what the master's messages build, the lookups the packet path
// makes. Built from MasterTables' own output, so the two halves are checked against each other.
#include "fulcrum/inet/lcore_tables.hpp"

#include <catch2/catch.hpp>
#include <rte_ip.h>

#include "master_tables.hpp"
#include "test_eal.hpp"

using namespace fulcrum::inet;

namespace {

Addr A(const char* s) { return *Addr::parse(s); }

// EAL first: members are built before a constructor's body runs.
struct Eal {
  Eal() { fulcrum::test::ensure_eal(); }
};

struct Fixture : Eal {
  LcoreTables t{0, TableLimits{64, 64, 64}};
  MasterTables m{TableLimits{64, 64, 64}, nullptr};
  MasterTables::Out out;
  std::string err;

  void apply() {
    for (const auto& msg : out) REQUIRE(t.apply(msg) == 0);
    out.clear();
  }
  const NextHop* route(const char* dst) {
    const uint32_t slot = t.route(A(dst));
    return slot == 0 ? nullptr : &t.nexthop(slot);
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "addresses, connected and static routes as the master pushes them") {
  m.set_device(1, Mac{2, 0, 0, 0, 0, 1}, 1500, out);
  m.set_device(2, Mac{2, 0, 0, 0, 0, 2}, 9000, out);
  REQUIRE(m.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  REQUIRE(m.add_addr(A("198.18.1.1"), 24, 2, 0, err, out) == 0);
  REQUIRE(m.add_addr(A("198.18.0.10"), 32, 1, 1, err, out) == 0);
  REQUIRE(m.add_addr(A("2001:db8::1"), 64, 1, 0, err, out) == 0);
  REQUIRE(m.add_route(*Prefix::parse("198.18.2.0/24"), A("198.18.1.254"), 0, false, err, out) == 0);
  REQUIRE(m.add_route(*Prefix::parse("default"), A("198.18.0.254"), 0, false, err, out) == 0);
  REQUIRE(m.add_route(*Prefix::parse("2001:db8:9::/48"), A("2001:db8::fe"), 0, false, err, out) == 0);
  apply();

  CHECK(t.addr_count() == 4);
  const AddrEntry* e = t.find_addr(A("198.18.0.10"));
  REQUIRE(e != nullptr);
  CHECK(e->flags == 1);
  CHECK(e->ifindex == 1);
  CHECK(t.find_addr(A("198.18.0.2")) == nullptr);
  CHECK(t.find_addr(A("2001:db8::1"))->plen == 64);

  const NextHop* h = route("198.18.0.77");
  REQUIRE(h != nullptr);
  CHECK(h->ifindex == 1);
  CHECK_FALSE(h->has_gateway());
  h = route("198.18.2.5");
  REQUIRE(h != nullptr);
  CHECK(h->ifindex == 2);
  CHECK(Addr::from_bytes(Family::v4, h->gateway.data()) == A("198.18.1.254"));
  h = route("8.8.8.8");
  REQUIRE(h != nullptr);
  CHECK(Addr::from_bytes(Family::v4, h->gateway.data()) == A("198.18.0.254"));
  h = route("2001:db8:9:1::5");
  REQUIRE(h != nullptr);
  CHECK(h->family == Family::v6);
  CHECK(route("2001:db8:8::1") == nullptr);  // no IPv6 default

  CHECK(t.ifv(2).mtu == 9000);
  CHECK(t.ifv(1).has_src[0]);
  CHECK(t.ifv(1).src[0] == A("198.18.0.1"));
  CHECK(t.ifv(1).src[1] == A("2001:db8::1"));
  CHECK_FALSE(t.ifv(2).has_src[1]);

  // Bulk lookups, as the input path makes them.
  uint32_t be[3] = {A("198.18.0.1").v4_be(), A("198.18.0.99").v4_be(), A("198.18.1.1").v4_be()};
  const AddrEntry* hits[3];
  t.find_addr4_bulk(be, 3, hits);
  CHECK(hits[0] != nullptr);
  CHECK(hits[1] == nullptr);
  CHECK(hits[2] != nullptr);

  // Deletions reach the FIB and the hash.
  REQUIRE(m.del_addr(A("198.18.1.1"), 24, 2, err, out) == 0);  // takes 198.18.2.0/24 along (its gateway)
  apply();
  CHECK(t.find_addr(A("198.18.1.1")) == nullptr);
  h = route("198.18.2.5");
  REQUIRE(h != nullptr);  // now the default route's
  CHECK(h->ifindex == 1);
}

TEST_CASE_METHOD(Fixture, "neighbours and settings") {
  TableMsg n;
  n.op = TableOp::neigh_set;
  n.family = Family::v4;
  n.ifindex = 1;
  n.addr = A("198.18.0.2").bytes;
  n.slot = 5;
  n.mac = Mac{2, 0, 0, 0, 0, 2};
  n.state = NeighState::reachable;
  REQUIRE(t.apply(n) == 0);
  const NeighKey key = NeighKey::of(1, A("198.18.0.2"));
  REQUIRE(t.find_neigh(key) == 5);
  CHECK(t.neigh(5).mac.addr_bytes[5] == 2);
  CHECK(t.find_neigh(NeighKey::of(2, A("198.18.0.2"))) == 0);  // another device, another neighbour
  n.op = TableOp::neigh_del;
  REQUIRE(t.apply(n) == 0);
  CHECK(t.find_neigh(key) == 0);
  REQUIRE(t.apply(n) == 0);  // deleting what is not there is fine (it never had a MAC here)

  CHECK_FALSE(t.forwarding(Family::v4));
  m.set_forwarding(Family::v4, true, out);
  apply();
  CHECK(t.forwarding(Family::v4));
  CHECK_FALSE(t.forwarding(Family::v6));

  TableMsg bad;
  bad.op = TableOp::addr_add;
  bad.slot = 9999;
  CHECK(t.apply(bad) == EINVAL);  // refused, not a crash
}
