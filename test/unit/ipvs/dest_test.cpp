#include "fulcrum/ipvs/dest.hpp"

#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

using fulcrum::ipvs::Dest;
using fulcrum::ipvs::DestId;
using fulcrum::ipvs::Family;
using fulcrum::ipvs::IpAddr;
using fulcrum::ipvs::kDestOverload;
using fulcrum::ipvs::port_be;

namespace {

DestId id4(uint8_t last, uint16_t port) { return DestId{IpAddr::v4(10, 0, 0, last), port_be(port), Family::v4}; }

}  // namespace

TEST_CASE("dest identities order by family, then address, then port as a number") {
  DestId v6{};
  v6.family = Family::v6;
  v6.addr.bytes[15] = 1;
  std::vector<DestId> ids = {v6, id4(2, 80), id4(1, 443), id4(1, 80), id4(1, 8080), id4(1, 256)};
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<DestId>{id4(1, 80), id4(1, 256), id4(1, 443), id4(1, 8080), id4(2, 80), v6});
}

TEST_CASE("an IPv4 identity ignores the bytes past the address") {
  DestId a = id4(1, 80);
  DestId b = a;
  b.addr.bytes[12] = 7;
  CHECK(a == b);
}

TEST_CASE("identities print as address:port") {
  CHECK(to_string(id4(7, 8080)) == "10.0.0.7:8080");
  DestId v6{};
  v6.family = Family::v6;
  v6.addr.bytes[0] = 0x20;
  v6.addr.bytes[1] = 0x01;
  v6.addr.bytes[2] = 0x0d;
  v6.addr.bytes[3] = 0xb8;
  v6.addr.bytes[15] = 1;
  v6.port = port_be(443);
  CHECK(to_string(v6) == "[2001:db8::1]:443");
}

TEST_CASE("the overhead weighs an active connection as 256 inactive ones") {
  Dest d;
  d.activeconns = 2;
  d.inactconns = 5;
  CHECK(conn_overhead(d) == 517);
  d.activeconns = 0xffffffffu;  // no wrap in 64 bits
  CHECK(conn_overhead(d) == (uint64_t{0xffffffffu} << 8) + 5);
}

TEST_CASE("thresholds set and clear the overload flag as the kernel does") {
  Dest d;
  d.u_threshold = 8;
  SECTION("no lower threshold: clears below three quarters of the upper") {
    d.activeconns = 7;
    update_overload_after_bind(d);
    CHECK_FALSE(d.flags & kDestOverload);
    d.activeconns = 8;
    update_overload_after_bind(d);
    CHECK(d.flags & kDestOverload);
    d.activeconns = 6;  // 6 * 4 = 24 is not below 8 * 3
    update_overload_after_unbind(d);
    CHECK(d.flags & kDestOverload);
    d.activeconns = 5;
    update_overload_after_unbind(d);
    CHECK_FALSE(d.flags & kDestOverload);
  }
  SECTION("a lower threshold: clears below it; inactive connections count too") {
    d.l_threshold = 3;
    d.activeconns = 4;
    d.inactconns = 4;
    update_overload_after_bind(d);
    CHECK(d.flags & kDestOverload);
    d.activeconns = 0;
    d.inactconns = 3;
    update_overload_after_unbind(d);
    CHECK(d.flags & kDestOverload);
    d.inactconns = 2;
    update_overload_after_unbind(d);
    CHECK_FALSE(d.flags & kDestOverload);
  }
  SECTION("no thresholds: never set, and an unbind clears a flag set by hand") {
    d.u_threshold = 0;
    d.activeconns = 1000;
    update_overload_after_bind(d);
    CHECK_FALSE(d.flags & kDestOverload);
    d.flags |= kDestOverload;
    update_overload_after_unbind(d);
    CHECK_FALSE(d.flags & kDestOverload);
  }
}
