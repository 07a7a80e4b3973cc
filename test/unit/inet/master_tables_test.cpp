#include "master_tables.hpp"

#include <catch2/catch.hpp>

using namespace fulcrum::inet;
namespace msg = fulcrum::ctrl::inet_msg;

namespace {

Addr A(const char* s) { return *Addr::parse(s); }
Prefix P(const char* s) { return *Prefix::parse(s); }

struct Fixture {
  MasterTables t{TableLimits{16, 16, 16}, [](Ifindex i) { return "dpdk" + std::to_string(i - 1); }};
  MasterTables::Out out;
  std::string err;
  Fixture() {
    t.set_device(1, Mac{2, 0, 0, 0, 0, 1}, 1500, out);
    t.set_device(2, Mac{2, 0, 0, 0, 0, 2}, 9000, out);
    out.clear();
  }
  size_t count(TableOp op) const {
    size_t n = 0;
    for (const auto& m : out) n += m.op == op;
    return n;
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "an address brings its connected route and the device's source") {
  REQUIRE(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  CHECK(count(TableOp::addr_add) == 1);
  CHECK(count(TableOp::nexthop_set) == 1);
  CHECK(count(TableOp::route_set) == 1);
  CHECK(count(TableOp::if_set) == 1);  // the device now has an IPv4 source
  const auto routes = t.routes(Family::v4);
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].prefix == P("198.18.0.0/24"));
  CHECK(routes[0].proto == RouteProto::kernel);
  CHECK(routes[0].prefsrc == A("198.18.0.1"));
  CHECK(t.device(1)->src[0] == A("198.18.0.1"));
  CHECK_FALSE(t.device(1)->src[1]);
  // A /32 (a VIP) brings no route, and a plain address stays the source.
  out.clear();
  REQUIRE(t.add_addr(A("198.18.0.10"), 32, 1, msg::addr_vip, err, out) == 0);
  CHECK(count(TableOp::route_set) == 0);
  CHECK(count(TableOp::if_set) == 0);
  CHECK(t.find_addr(A("198.18.0.10"))->flags == msg::addr_vip);
}

TEST_CASE_METHOD(Fixture, "address errors name the address and the device") {
  REQUIRE(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  CHECK(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == EEXIST);
  CHECK(err == "address 198.18.0.1/24 is already on dpdk0");
  CHECK(t.add_addr(A("198.18.0.1"), 24, 2, 0, err, out) == EEXIST);
  CHECK_THAT(err, Catch::Contains("is already on dpdk0"));
  CHECK(t.add_addr(A("224.0.0.1"), 32, 1, 0, err, out) == EINVAL);
  CHECK_THAT(err, Catch::Contains("224.0.0.1"));
  CHECK(t.add_addr(A("198.18.0.2"), 33, 1, 0, err, out) == EINVAL);
  CHECK(t.add_addr(A("198.18.0.2"), 24, 7, 0, err, out) == ENODEV);
  CHECK(t.add_addr(A("198.18.0.2"), 24, 1, 8, err, out) == EINVAL);
  CHECK(t.del_addr(A("198.18.0.1"), 24, 2, err, out) == EADDRNOTAVAIL);
  CHECK(err == "address 198.18.0.1/24 is not on dpdk1 (it is 198.18.0.1/24 on dpdk0)");
  CHECK(t.del_addr(A("198.18.0.1"), 16, 1, err, out) == EADDRNOTAVAIL);
  CHECK(t.del_addr(A("198.18.0.1"), 0xff, 1, err, out) == 0);  // no length given: any
}

TEST_CASE_METHOD(Fixture, "the connected route stays while an address of its network does") {
  REQUIRE(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  REQUIRE(t.add_addr(A("198.18.0.2"), 24, 1, 0, err, out) == 0);
  out.clear();
  REQUIRE(t.del_addr(A("198.18.0.1"), 24, 1, err, out) == 0);
  CHECK(count(TableOp::route_del) == 0);
  CHECK(t.routes(Family::v4).at(0).prefsrc == A("198.18.0.2"));
  CHECK(t.device(1)->src[0] == A("198.18.0.2"));
  REQUIRE(t.del_addr(A("198.18.0.2"), 24, 1, err, out) == 0);
  CHECK(count(TableOp::route_del) == 1);
  CHECK(t.routes(Family::v4).empty());
  CHECK_FALSE(t.device(1)->src[0]);
  CHECK(t.nexthops_in_use() == 0);
}

TEST_CASE_METHOD(Fixture, "static routes: gateway on a connected network, its device found, next hops shared") {
  REQUIRE(t.add_addr(A("198.18.1.1"), 24, 2, 0, err, out) == 0);
  out.clear();
  REQUIRE(t.add_route(P("198.18.2.0/24"), A("198.18.1.254"), 0, false, err, out) == 0);
  CHECK(count(TableOp::nexthop_set) == 1);
  const RouteRecord* r = t.lookup(A("198.18.2.9"));
  REQUIRE(r != nullptr);
  CHECK(r->ifindex == 2);
  CHECK(r->has_gateway);
  out.clear();
  REQUIRE(t.add_route(*Prefix::parse("default"), A("198.18.1.254"), 2, false, err, out) == 0);
  CHECK(count(TableOp::nexthop_set) == 0);  // the same gateway: the same next hop
  CHECK(t.lookup(A("8.8.8.8"))->prefix.len == 0);
  CHECK(t.lookup(A("198.18.2.9"))->prefix.len == 24);  // longest match
  CHECK(t.route_count(Family::v4) == 3);

  CHECK(t.add_route(P("198.18.2.0/24"), A("198.18.1.253"), 0, false, err, out) == EEXIST);
  CHECK_THAT(err, Catch::Contains("route replace"));
  REQUIRE(t.add_route(P("198.18.2.0/24"), A("198.18.1.253"), 0, true, err, out) == 0);
  CHECK(t.lookup(A("198.18.2.9"))->gateway == A("198.18.1.253"));

  CHECK(t.add_route(P("198.18.3.0/24"), A("198.18.7.1"), 0, false, err, out) == ENETUNREACH);
  CHECK(err == "gateway 198.18.7.1 is not on a connected network of any device (add an address on its network first)");
  CHECK(t.add_route(P("198.18.3.0/24"), A("198.18.1.254"), 1, false, err, out) == ENETUNREACH);
  CHECK_THAT(err, Catch::Contains("of dpdk0"));
  CHECK(t.add_route(P("198.18.3.1/24"), A("198.18.1.254"), 0, false, err, out) == EINVAL);
  CHECK_THAT(err, Catch::Contains("198.18.3.1/24 has host bits set (the network is 198.18.3.0/24)"));
  CHECK(t.add_route(P("198.18.3.0/24"), A("2001:db8::1"), 0, false, err, out) == EINVAL);
  CHECK(t.add_route(P("198.18.3.0/24"), A("198.18.1.1"), 0, false, err, out) == EINVAL);  // ours
  CHECK(t.add_route(P("198.18.3.0/24"), std::nullopt, 0, false, err, out) == EINVAL);
  CHECK(t.add_route(P("198.18.1.0/24"), A("198.18.1.254"), 0, true, err, out) == EEXIST);  // connected
  CHECK(t.del_route(P("198.18.1.0/24"), err, out) == EINVAL);
  CHECK(t.del_route(P("198.18.9.0/24"), err, out) == ESRCH);
  CHECK(err == "no route 198.18.9.0/24");
}

TEST_CASE_METHOD(Fixture, "losing a connected network takes the static routes through it") {
  REQUIRE(t.add_addr(A("198.18.1.1"), 24, 2, 0, err, out) == 0);
  REQUIRE(t.add_route(P("198.18.2.0/24"), A("198.18.1.254"), 0, false, err, out) == 0);
  REQUIRE(t.add_route(P("198.18.5.0/24"), std::nullopt, 1, false, err, out) == 0);  // a device route stays
  out.clear();
  REQUIRE(t.del_addr(A("198.18.1.1"), 24, 2, err, out) == 0);
  CHECK(count(TableOp::route_del) == 2);
  CHECK(t.route_count(Family::v4) == 1);
  CHECK(t.nexthops_in_use() == 1);
}

TEST_CASE_METHOD(Fixture, "a connected route replaces a static route of its prefix") {
  REQUIRE(t.add_route(P("198.18.0.0/24"), std::nullopt, 2, false, err, out) == 0);
  REQUIRE(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  const auto routes = t.routes(Family::v4);
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].proto == RouteProto::kernel);
  CHECK(routes[0].ifindex == 1);
  CHECK(t.nexthops_in_use() == 1);
}

TEST_CASE_METHOD(Fixture, "IPv6 with a link-local gateway on a named device") {
  REQUIRE(t.add_addr(A("2001:db8::1"), 64, 1, 0, err, out) == 0);
  CHECK(t.device(1)->src[1] == A("2001:db8::1"));
  REQUIRE(t.add_route(*Prefix::parse("default", Family::v6), A("fe80::1"), 1, false, err, out) == 0);
  CHECK(t.add_route(P("2001:db8:9::/48"), A("fe80::1"), 0, false, err, out) == ENETUNREACH);
  CHECK(t.route_count(Family::v6) == 2);
  CHECK(t.route_count(Family::v4) == 0);
}

TEST_CASE_METHOD(Fixture, "limits") {
  MasterTables small{TableLimits{2, 16, 16}, nullptr};
  small.set_device(1, Mac{2, 0, 0, 0, 0, 1}, 1500, out);
  REQUIRE(small.add_addr(A("198.18.0.1"), 32, 1, 0, err, out) == 0);
  REQUIRE(small.add_addr(A("198.18.0.2"), 32, 1, 0, err, out) == 0);
  CHECK(small.add_addr(A("198.18.0.3"), 32, 1, 0, err, out) == ENOSPC);
  CHECK_THAT(err, Catch::Contains("inet.max_addresses (2)"));
  REQUIRE(t.add_addr(A("198.18.1.1"), 24, 2, 0, err, out) == 0);
  for (int i = 0; i < 15; ++i) {
    const std::string p = "10." + std::to_string(i) + ".0.0/16";
    REQUIRE(t.add_route(*Prefix::parse(p), A("198.18.1.254"), 0, false, err, out) == 0);
  }
  CHECK(t.add_route(P("10.99.0.0/16"), A("198.18.1.254"), 0, false, err, out) == ENOSPC);
  CHECK_THAT(err, Catch::Contains("inet.max_routes (16)"));
}

TEST_CASE_METHOD(Fixture, "devices: changes and removal") {
  REQUIRE(t.add_addr(A("198.18.0.1"), 24, 1, 0, err, out) == 0);
  REQUIRE(t.add_route(P("10.0.0.0/8"), A("198.18.0.254"), 0, false, err, out) == 0);
  out.clear();
  t.set_device(1, Mac{2, 0, 0, 0, 0, 1}, 1500, out);
  CHECK(out.empty());  // nothing changed
  t.set_device(1, Mac{2, 0, 0, 0, 0, 1}, 1400, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].op == TableOp::if_set);
  CHECK(out[0].mtu == 1400);
  CHECK((out[0].flags & kIfHasSrc4) != 0);
  out.clear();
  t.remove_device(1, out);
  CHECK(t.addresses().empty());
  CHECK(t.route_count(Family::v4) == 0);
  CHECK(t.device(1) == nullptr);
  CHECK(out.back().op == TableOp::if_del);
  CHECK(t.nexthops_in_use() == 0);
}
