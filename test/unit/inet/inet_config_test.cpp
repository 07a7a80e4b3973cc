#include "fulcrum/inet/inet_config.hpp"

#include <catch2/catch.hpp>

using namespace fulcrum;
using fulcrum::inet::Addr;

namespace {

inet::InetConfig read(const std::string& text) {
  auto doc = core::ConfigDocument::from_string(text);
  auto root = doc.root();
  return inet::read_inet_config(root);
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("defaults") {
  const auto c = read("");
  CHECK(c.limits.routes == 1024);
  CHECK(c.neigh.reachable_ms == 30000);
  CHECK(c.reassembly);
  CHECK_FALSE(c.of(inet::Family::v4).forwarding);
  CHECK(c.of(inet::Family::v6).ttl == 64);
}

TEST_CASE("static addresses, routes and neighbours parse as dpip takes them") {
  const auto c = read(R"([inet]
addresses = ["198.18.0.1/24 dev dpdk0", "2001:db8::1/64 dev dpdk0", "198.18.0.10 dev dpdk0 vip fnat-local"]
routes = ["default via 198.18.0.254", "198.18.9.0/24 via 198.18.0.253 dev dpdk0", "2001:db8:9::/48 dev dpdk1",
          "default via 2001:db8::ff"]
neighbours = ["198.18.0.9 lladdr 02:00:00:00:00:09 dev dpdk0"]
[ipv4]
forwarding = true
ttl = 33
[ipv6]
hop_limit = 200
)");
  REQUIRE(c.addresses.size() == 3);
  CHECK(c.addresses[0].addr == *Addr::parse("198.18.0.1"));
  CHECK(c.addresses[0].plen == 24);
  CHECK(c.addresses[0].dev == "dpdk0");
  CHECK(c.addresses[2].plen == 32);
  CHECK(c.addresses[2].flags == 3);
  REQUIRE(c.routes.size() == 4);
  CHECK(c.routes[0].prefix.len == 0);
  CHECK(c.routes[0].has_gateway);
  CHECK(c.routes[2].dev == "dpdk1");
  CHECK_FALSE(c.routes[2].has_gateway);
  CHECK(c.routes[3].prefix.addr.family == inet::Family::v6);  // "default" takes the gateway's family
  REQUIRE(c.neighbours.size() == 1);
  CHECK(c.neighbours[0].mac == inet::Mac{2, 0, 0, 0, 0, 9});
  CHECK(c.of(inet::Family::v4).forwarding);
  CHECK(c.of(inet::Family::v4).ttl == 33);
  CHECK(c.of(inet::Family::v6).ttl == 200);
}

TEST_CASE("a bad static line names the key, the element and the word") {
  CHECK_THAT(error_of("[inet]\naddresses = [\"198.18.0.300/24 dev dpdk0\"]\n"),
             Catch::Contains("inet.addresses[0]") && Catch::Contains("198.18.0.300/24"));
  CHECK_THAT(error_of("[inet]\naddresses = [\"198.18.0.1/24\"]\n"), Catch::Contains("dev DEVICE"));
  CHECK_THAT(error_of("[inet]\nroutes = [\"x via 1.2.3.4\"]\n"), Catch::Contains("inet.routes[0]") && Catch::Contains("\"x\""));
  CHECK_THAT(error_of("[inet]\nroutes = [\"10.0.0.0/8\"]\n"), Catch::Contains("via GATEWAY or dev DEVICE"));
  CHECK_THAT(error_of("[inet]\nneighbours = [\"198.18.0.9 lladdr 02:zz:00:00:00:09 dev dpdk0\"]\n"),
             Catch::Contains("02:zz:00:00:00:09"));
  CHECK_THAT(error_of("[inet]\nmax_routes = 5\n"), Catch::Contains("inet.max_routes"));
  CHECK_THAT(error_of("[ipv4]\nttl = 0\n"), Catch::Contains("ipv4.ttl"));
}

TEST_CASE("MACs") {
  CHECK(inet::parse_mac("02:00:c6:12:00:01") == inet::Mac{2, 0, 0xc6, 0x12, 0, 1});
  CHECK(inet::parse_mac("2-0-c6-12-0-1") == inet::Mac{2, 0, 0xc6, 0x12, 0, 1});
  CHECK_FALSE(inet::parse_mac("02:00:c6:12:00"));
  CHECK_FALSE(inet::parse_mac("02:00:c6:12:00:01:02"));
  CHECK_FALSE(inet::parse_mac("0x:00:c6:12:00:01"));
}
