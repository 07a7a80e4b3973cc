// Per-VIP bindings: the table itself, what ServiceManager does with a service created on a bound VIP, the
// stock tools' SET_ADD/ADDDEST through the sockopt handlers, and [[vip_binding]] in the config.

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>

#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "fulcrum/ipvs/ipvs_config.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "fulcrum/ipvs/vip_binding.hpp"
#include "service_test_util.hpp"
#include "sockopt_test_util.hpp"

using namespace svc_test;

namespace {

VipBinding binding(const std::string& vip, std::vector<std::string> laddrs, bool toa = true) {
  VipBinding b;
  b.vip = addr(vip, &b.family);
  for (const auto& a : laddrs) b.laddrs.push_back(addr(a));
  b.toa = toa;
  return b;
}

std::vector<std::string> group(const ServiceManager& m, const ServiceKey& k) {
  std::vector<IpAddr> out;
  REQUIRE(m.list_laddrs(k, &out).ok());
  std::vector<std::string> text;
  for (const IpAddr& a : out) text.push_back(to_string(k.family, a));
  return text;
}

fulcrum::ipvs::IpvsConfig read(const std::string& text) {
  auto doc = fulcrum::core::ConfigDocument::from_string(text);
  auto root = doc.root();
  auto cfg = fulcrum::ipvs::read_ipvs_config(root);
  doc.reject_unknown_keys();
  return cfg;
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const fulcrum::core::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("vip binding: one per VIP, replaced by a second set, refusals name the field and value") {
  VipBindings t;
  REQUIRE(t.set(binding("198.18.0.100", {"198.18.1.10"})).ok());
  REQUIRE(t.set(binding("198.18.0.100", {"198.18.1.10", "198.18.1.11"}, false)).ok());
  REQUIRE(t.all().size() == 1);
  CHECK(t.all()[0].laddrs.size() == 2);
  CHECK_FALSE(t.all()[0].toa);
  CHECK(t.find(Family::v4, addr("198.18.0.100")) != nullptr);
  CHECK(t.find(Family::v4, addr("198.18.0.101")) == nullptr);

  VipBinding nat = binding("198.18.0.101", {"198.18.1.10"});
  nat.forward = ForwardMethod::masq;
  const Status st = t.set(nat);
  CHECK(st.err == EINVAL);
  CHECK(st.msg == "binding of VIP 198.18.0.101: forward \"nat\": a binding can only make masq real servers "
                  "FullNAT (\"fullnat\")");
  const Status twice = t.set(binding("198.18.0.101", {"198.18.1.10", "198.18.1.10"}));
  CHECK(twice.err == EINVAL);
  CHECK(twice.msg == "binding of VIP 198.18.0.101: local_addresses[1] 198.18.1.10 is listed twice");
  CHECK(t.set(binding("198.18.0.101", {"2001:db8:1::10"})).err == EAFNOSUPPORT);

  CHECK(t.remove(Family::v4, addr("198.18.0.100")).ok());
  const Status gone = t.remove(Family::v4, addr("198.18.0.100"));
  CHECK(gone.err == ENOENT);
  CHECK(gone.msg == "VIP 198.18.0.100: no binding");
}

TEST_CASE("vip binding: a masq service created on the VIP takes FullNAT, TOA and the group, every time") {
  ServiceManager m(nullptr, 2);
  REQUIRE(m.set_vip_binding(binding("198.18.0.100", {"198.18.1.10", "198.18.1.11"}, false)).ok());
  REQUIRE(m.set_vip_binding(binding("2001:db8::100", {"2001:db8:1::10"})).ok());
  const ServiceKey k = key("198.18.0.100", 80);
  ServiceSpec s = spec("198.18.0.100", 80);
  s.forward = ForwardMethod::masq;  // what SET_ADD asks for
  // Twice: keepalived deletes its service on SIGTERM and creates it again on the next start.
  for (int round = 0; round < 2; ++round) {
    REQUIRE(m.add_service(s).ok());
    ServiceInfo info;
    REQUIRE(m.get_service(k, &info).ok());
    CHECK(info.spec.forward == ForwardMethod::fullnat);
    CHECK_FALSE(info.spec.toa);
    CHECK(group(m, k) == std::vector<std::string>{"198.18.1.10", "198.18.1.11"});
    for (unsigned w = 0; w < m.workers(); ++w) {
      const WorkerService* ws = m.worker_table(w).find(k.protocol, k.family, k.addr, k.port);
      REQUIRE(ws != nullptr);
      CHECK(ws->laddr_ids.size() == 2);
    }
    REQUIRE(m.del_service(k).ok());
  }
  // Another port of the same VIP and the IPv6 VIP: bound too. Another VIP: not.
  ServiceSpec s6 = spec("2001:db8::100", 443);
  s6.forward = ForwardMethod::masq;
  REQUIRE(m.add_service(s6).ok());
  CHECK(group(m, key("2001:db8::100", 443)) == std::vector<std::string>{"2001:db8:1::10"});
  ServiceSpec other = spec("198.18.0.200", 80);
  other.forward = ForwardMethod::masq;
  REQUIRE(m.add_service(other).ok());
  ServiceInfo info;
  REQUIRE(m.get_service(key("198.18.0.200", 80), &info).ok());
  CHECK(info.spec.forward == ForwardMethod::masq);
  CHECK(group(m, key("198.18.0.200", 80)).empty());
}

TEST_CASE("vip binding: a service with a method of its own, or added with the binding ignored, keeps its own") {
  ServiceManager m(nullptr, 1);
  REQUIRE(m.set_vip_binding(binding("198.18.0.100", {"198.18.1.10"})).ok());
  ServiceSpec dr = spec("198.18.0.100", 80);
  dr.forward = ForwardMethod::droute;
  REQUIRE(m.add_service(dr).ok());
  ServiceSpec masq = spec("198.18.0.100", 81);
  masq.forward = ForwardMethod::masq;
  REQUIRE(m.add_service(masq, ServiceManager::BindingUse::ignore).ok());
  ServiceInfo info;
  REQUIRE(m.get_service(key("198.18.0.100", 80), &info).ok());
  CHECK(info.spec.forward == ForwardMethod::droute);
  CHECK(group(m, key("198.18.0.100", 80)).empty());
  REQUIRE(m.get_service(key("198.18.0.100", 81), &info).ok());
  CHECK(info.spec.forward == ForwardMethod::masq);
}

TEST_CASE("vip binding: a group the table refuses takes the new service back out") {
  ServiceManager m(nullptr, 1);
  REQUIRE(m.set_vip_binding(binding("198.18.0.100", {"198.18.1.10", "224.0.0.1"})).ok());
  ServiceSpec s = spec("198.18.0.100", 80);
  s.forward = ForwardMethod::masq;
  const Status st = m.add_service(s);
  CHECK(st.err == EINVAL);
  CHECK(st.msg == "binding of VIP 198.18.0.100: service TCP 198.18.0.100:80: local address 224.0.0.1: not a "
                  "unicast address");
  ServiceInfo info;
  CHECK(m.get_service(key("198.18.0.100", 80), &info).err == ESRCH);
  // The address that did get its id is usable by the next service: its pool entry reached the workers.
  REQUIRE(m.set_vip_binding(binding("198.18.0.100", {"198.18.1.10"})).ok());
  REQUIRE(m.add_service(s).ok());
  const WorkerService* ws = m.worker_table(0).find(kProtoTcp, Family::v4, addr("198.18.0.100"), port_be(80));
  REQUIRE(ws != nullptr);
  REQUIRE(ws->laddr_ids.size() == 1);
  CHECK(m.laddr_pool(0).free_ports(ws->laddr_ids[0]) > 0);
}

TEST_CASE("vip binding: stock SET_ADD then ADDDEST with masq run as FullNAT, and SET_EDIT keeps it") {
  using namespace sockopt_test;
  Daemon d;
  REQUIRE(d.services.set_vip_binding(binding("198.18.0.100", {"198.18.1.10"})).ok());
  const auto svc = svc_user("198.18.0.100", 80, "wrr");
  REQUIRE(d.set_struct(IP_VS_SO_SET_ADD, svc).status == 0);
  REQUIRE(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.11", 8080, 2))).status == 0);
  REQUIRE(d.set_struct(IP_VS_SO_SET_EDIT, svc_user("198.18.0.100", 80, "wlc")).status == 0);
  const ServiceKey k = key("198.18.0.100", 80);
  std::vector<DestInfo> dests;
  REQUIRE(d.services.list_dests(k, &dests).ok());
  REQUIRE(dests.size() == 1);
  CHECK(dests[0].spec.forward == ForwardMethod::fullnat);
  ServiceInfo info;
  REQUIRE(d.services.get_service(k, &info).ok());
  CHECK(info.spec.scheduler == "wlc");
  CHECK(info.spec.forward == ForwardMethod::fullnat);
  CHECK(group(d.services, k) == std::vector<std::string>{"198.18.1.10"});
}

TEST_CASE("config: [[vip_binding]] and the [[service]] keys it fills in") {
  const auto c = read(R"(
[[vip_binding]]
vip = "198.18.0.100"
forward = "fullnat"
local_addresses = ["198.18.1.10", "198.18.1.11"]
toa = false
[[vip_binding]]
vip = "2001:db8::100"
local_addresses = ["2001:db8:1::10"]
[[service]]
vip = "198.18.0.100"
port = 80
[[service.real_server]]
addr = "198.18.1.2"
[[service]]
vip = "198.18.0.100"
port = 81
forward = "nat"
local_addresses = []
toa = true
)");
  REQUIRE(c.vip_bindings.size() == 2);
  CHECK(c.vip_bindings[0].laddrs.size() == 2);
  CHECK_FALSE(c.vip_bindings[0].toa);
  CHECK(c.vip_bindings[1].family == Family::v6);
  CHECK(c.vip_bindings[1].toa);
  REQUIRE(c.services.size() == 2);
  // Port 80 says nothing itself: the binding's forward, TOA and group.
  CHECK(c.services[0].spec.forward == ForwardMethod::fullnat);
  CHECK_FALSE(c.services[0].spec.toa);
  CHECK(c.services[0].laddrs.size() == 2);
  CHECK(c.services[0].dests[0].forward == ForwardMethod::fullnat);
  // Port 81 says everything: its own.
  CHECK(c.services[1].spec.forward == ForwardMethod::masq);
  CHECK(c.services[1].spec.toa);
  CHECK(c.services[1].laddrs.empty());
}

TEST_CASE("config: [[vip_binding]] errors name the key and its value") {
  using Catch::Contains;
  const std::string la = "local_addresses = [\"198.18.1.10\"]\n";
  CHECK_THAT(error_of("[[vip_binding]]\n" + la),
             Contains("key 'vip_binding[0].vip'") && Contains("is required (an IPv4 or IPv6 address)"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.300\"\n" + la),
             Contains("key 'vip_binding[0].vip' = \"198.18.0.300\"") &&
                 Contains("must be an IPv4 or IPv6 address"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\nforward = \"nat\"\n" + la),
             Contains("key 'vip_binding[0].forward' = \"nat\"") && Contains("fullnat"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\n"),
             Contains("key 'vip_binding[0].local_addresses'") && Contains("must hold at least one local address"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\nlocal_addresses = [\"198.18.1.10\", \"2001:db8::1\"]\n"),
             Contains("key 'vip_binding[0].local_addresses[1]' = \"2001:db8::1\"") &&
                 Contains("must be of the VIP's family"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\nlocal_addresses = [\"198.18.1.10\", \"198.18.1.10\"]\n"),
             Contains("key 'vip_binding[0].local_addresses[1]' = \"198.18.1.10\"") && Contains("is listed twice"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\nlocal_addresses = [\"224.0.0.9\"]\n"),
             Contains("key 'vip_binding[0].local_addresses[0]' = \"224.0.0.9\"") && Contains("must be a unicast address"));
  CHECK_THAT(error_of("[[vip_binding]]\nvip = \"198.18.0.100\"\n" + la + "[[vip_binding]]\nvip = \"198.18.0.100\"\n" + la),
             Contains("key 'vip_binding[1].vip' = \"198.18.0.100\"") &&
                 Contains("must be unique: vip_binding[0] binds it too"));
}

TEST_CASE("vip binding: the extension message lists each binding with its group") {
  using namespace sockopt_test;
  namespace msg = fulcrum::ctrl::ipvs_msg;
  Daemon d;
  REQUIRE(d.services.set_vip_binding(binding("198.18.0.100", {"198.18.1.10", "198.18.1.11"})).ok());
  REQUIRE(d.services.set_vip_binding(binding("2001:db8::100", {"2001:db8:1::10"}, false)).ok());
  const Reply r = d.get_struct(msg::kGetVipBindings, msg::VersionQuery{msg::kVersion});
  REQUIRE(r.status == 0);
  REQUIRE(r.payload.size() ==
          sizeof(msg::ListHead) + 2 * sizeof(msg::VipBindingEntry) + 3 * sizeof(msg::LaddrAddr));
  const auto head = r.at<msg::ListHead>();
  CHECK(head.count == 2);
  CHECK(head.total == 2);
  size_t at = sizeof head;
  const auto first = r.at<msg::VipBindingEntry>(at);
  CHECK(first.family == 4);
  CHECK(first.forward == msg::fwd_fullnat);
  CHECK(first.toa_off == 0);
  CHECK(first.num_laddrs == 2);
  at += sizeof first;
  const auto la = r.at<msg::LaddrAddr>(at + sizeof(msg::LaddrAddr));
  CHECK(la.family == 4);
  CHECK(std::memcmp(la.addr, addr("198.18.1.11").bytes.data(), 16) == 0);
  at += 2 * sizeof(msg::LaddrAddr);
  const auto second = r.at<msg::VipBindingEntry>(at);
  CHECK(second.family == 6);
  CHECK(second.toa_off == 1);
  CHECK(second.num_laddrs == 1);
  CHECK(d.get_struct(msg::kGetVipBindings, msg::VersionQuery{7}).status == EPROTO);
}
