// [[service]] and [[service.real_server]]: what they become, and the one-line errors for what is wrong.

#include <catch2/catch.hpp>

#include "fulcrum/ipvs/ipvs_config.hpp"
#include "service_test_util.hpp"

using namespace fulcrum;
using namespace svc_test;

namespace {

ipvs::IpvsConfig read(const std::string& text) {
  auto doc = core::ConfigDocument::from_string(text);
  auto root = doc.root();
  auto cfg = ipvs::read_ipvs_config(root);
  doc.reject_unknown_keys();
  return cfg;
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

TEST_CASE("config: no service at all is valid, and the schema is still declared") {
  auto doc = core::ConfigDocument::from_string("");
  auto root = doc.root();
  CHECK(ipvs::read_ipvs_config(root).services.empty());
  std::set<std::string> paths;
  for (const auto& k : doc.schema()) paths.insert(k.path);
  CHECK(paths.count("service"));
  CHECK(paths.count("service[].vip"));
  CHECK(paths.count("service[].real_server"));
  CHECK(paths.count("service[].real_server[].weight"));
}

TEST_CASE("config: services with their real servers") {
  const auto c = read(R"(
[[service]]
proto = "tcp"
vip = "198.18.0.100"
port = 80
scheduler = "mh"
persistence = 300
netmask = 24
flags = ["mh-fallback", "mh-port"]
forward = "fullnat"
[[service.real_server]]
addr = "198.18.1.2"
weight = 2
[[service.real_server]]
addr = "198.18.1.3"
port = 8080
uthreshold = 100
lthreshold = 50
forward = "nat"

[[service]]
proto = "udp"
vip = "2001:db8::100"
port = 53
forward = "dr"
)");
  REQUIRE(c.services.size() == 2);
  const auto& a = c.services[0];
  CHECK(a.spec.key == key("198.18.0.100", 80));
  CHECK(a.spec.scheduler == "mh");
  CHECK(a.spec.flags == (kSvcPersistent | kSchedFallback | kSchedPort));
  CHECK(a.spec.timeout_s == 300);
  CHECK(a.spec.netmask == 0xffffff00u);
  REQUIRE(a.dests.size() == 2);
  CHECK(a.dests[0].id == dest_id("198.18.1.2", 80));  // the service's port
  CHECK(a.dests[0].weight == 2);
  CHECK(a.dests[0].forward == ForwardMethod::fullnat);  // the service's method
  CHECK(a.dests[1].id == dest_id("198.18.1.3", 8080));
  CHECK(a.dests[1].u_threshold == 100);
  CHECK(a.dests[1].l_threshold == 50);
  CHECK(a.dests[1].forward == ForwardMethod::masq);
  const auto& b = c.services[1];
  CHECK(b.spec.key == key("2001:db8::100", 53, kProtoUdp));
  CHECK(b.spec.scheduler == "wlc");
  CHECK_FALSE(b.spec.netmask.has_value());
  CHECK(b.spec.forward == ForwardMethod::droute);
  CHECK(b.dests.empty());
}

TEST_CASE("config: errors name the key and the value") {
  const std::string head = "[[service]]\nvip = \"198.18.0.100\"\nport = 80\n";
  CHECK_THAT(error_of("[[service]]\nport = 80\n"), Catch::Contains("service[0].vip") && Catch::Contains("required"));
  CHECK_THAT(error_of("[[service]]\nvip = \"198.18.0.100\"\n"), Catch::Contains("service[0].port"));
  CHECK_THAT(error_of("[[service]]\nvip = \"198.18.0.300\"\nport = 80\n"),
             Catch::Contains("service[0].vip") && Catch::Contains("198.18.0.300"));
  CHECK_THAT(error_of(head + "scheduler = \"fancy\"\n"),
             Catch::Contains("service[0].scheduler") && Catch::Contains("fancy") && Catch::Contains("conhash"));
  CHECK_THAT(error_of(head + "proto = \"icmp\"\n"), Catch::Contains("service[0].proto"));
  CHECK_THAT(error_of(head + "netmask = 33\n"), Catch::Contains("service[0].netmask") && Catch::Contains("0 to 32"));
  CHECK_THAT(error_of(head + "flags = [\"sh-port\", \"bogus\"]\n"),
             Catch::Contains("service[0].flags[1]") && Catch::Contains("bogus"));
  CHECK_THAT(error_of(head + "forward = \"local\"\n"), Catch::Contains("service[0].forward"));
  CHECK_THAT(error_of(head + "colour = \"red\"\n"), Catch::Contains("service[0].colour"));
  CHECK_THAT(error_of(head + head), Catch::Contains("service[1].port") && Catch::Contains("service[0]"));

  const std::string rs = head + "[[service.real_server]]\n";
  CHECK_THAT(error_of(rs + "weight = 1\n"), Catch::Contains("service[0].real_server[0].addr"));
  CHECK_THAT(error_of(rs + "addr = \"2001:db8::1\"\n"),
             Catch::Contains("service[0].real_server[0].addr") && Catch::Contains("family"));
  CHECK_THAT(error_of(rs + "addr = \"224.0.0.1\"\n"),
             Catch::Contains("service[0].real_server[0].addr") && Catch::Contains("unicast"));
  CHECK_THAT(error_of(rs + "addr = \"10.0.0.1\"\nweight = 70000\n"), Catch::Contains("real_server[0].weight"));
  CHECK_THAT(error_of(rs + "addr = \"10.0.0.1\"\nlthreshold = 5\n"),
             Catch::Contains("real_server[0].lthreshold") && Catch::Contains("uthreshold"));
  CHECK_THAT(error_of(rs + "addr = \"10.0.0.1\"\nforward = \"snat\"\n"), Catch::Contains("real_server[0].forward"));
  CHECK_THAT(error_of(rs + "addr = \"10.0.0.1\"\n" + "[[service.real_server]]\naddr = \"10.0.0.1\"\n"),
             Catch::Contains("real_server[1].addr") && Catch::Contains("exists already"));
  CHECK(error_of(rs + "addr = \"10.0.0.1\"\n").empty());
}
