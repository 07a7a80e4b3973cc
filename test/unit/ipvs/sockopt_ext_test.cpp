// The extension messages (fulcrum/ctrl/proto/ipvs.hpp): IPv6, FullNAT, local-address groups, lists with
// 64-bit stats, versions and sizes checked before use.

#include <catch2/catch.hpp>

#include <cerrno>

#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "sockopt_test_util.hpp"

using namespace sockopt_test;
namespace msg = fulcrum::ctrl::ipvs_msg;

namespace {

msg::ServiceKey v6_key(uint16_t port, uint8_t last = 0x00) {
  msg::ServiceKey k{};
  k.protocol = IPPROTO_TCP;
  k.family = 6;
  k.port = htons(port);
  inet_pton(AF_INET6, "2001:db8::100", k.addr);
  k.addr[15] = last;
  return k;
}

msg::ServiceKey v4_key(const char* vip, uint16_t port) {
  msg::ServiceKey k{};
  k.protocol = IPPROTO_TCP;
  k.family = 4;
  k.port = htons(port);
  inet_pton(AF_INET, vip, k.addr);
  return k;
}

msg::ServiceReq service_req(const msg::ServiceKey& k, const char* sched = "rr") {
  msg::ServiceReq r{};
  r.version = msg::kVersion;
  r.key = k;
  std::strncpy(r.sched_name, sched, sizeof r.sched_name - 1);
  return r;
}

msg::DestReq dest_req(const msg::ServiceKey& k, const char* addr, uint16_t port, uint8_t fwd = msg::fwd_fullnat,
                      int32_t weight = 1) {
  msg::DestReq r{};
  r.version = msg::kVersion;
  r.key = k;
  r.family = k.family;
  inet_pton(k.family == 6 ? AF_INET6 : AF_INET, addr, r.addr);
  r.port = htons(port);
  r.forward = fwd;
  r.weight = weight;
  return r;
}

msg::ListQuery list_query(uint8_t family = 0, uint32_t offset = 0, uint32_t max = 0) {
  msg::ListQuery q{};
  q.version = msg::kVersion;
  q.family = family;
  q.offset = offset;
  q.max = max;
  return q;
}

}  // namespace

TEST_CASE("ext: records keep their sizes") {
  CHECK(sizeof(msg::ServiceReq) == 56);
  CHECK(sizeof(msg::DestReq) == 56);
  CHECK(sizeof(msg::ServiceEntry) == 144);
  CHECK(sizeof(msg::DestEntry) == 128);
}

TEST_CASE("ext: every request is size-checked and versioned") {
  Daemon d;
  CHECK(d.set(msg::kAddService, Bytes(sizeof(msg::ServiceReq) - 1, 0)).status == EINVAL);
  CHECK(d.set(msg::kAddService, Bytes(sizeof(msg::ServiceReq) + 1, 0)).status == EINVAL);
  CHECK(d.get(msg::kGetServices, Bytes(3, 0)).status == EINVAL);
  auto req = service_req(v6_key(80));
  req.version = 2;
  const Reply r = d.set_struct(msg::kAddService, req);
  CHECK(r.status == EPROTO);
  CHECK(r.text().find("version 2") != std::string::npos);
  msg::VersionQuery v{0};
  CHECK(d.get_struct(msg::kGetInfo, v).status == EPROTO);
}

TEST_CASE("ext: IPv6 services and FullNAT real servers, listed with both families") {
  Daemon d;
  REQUIRE(d.set_struct(msg::kAddService, service_req(v6_key(80))).status == 0);
  REQUIRE(d.set_struct(msg::kAddService, service_req(v4_key("198.18.0.100", 80), "wlc")).status == 0);
  CHECK(d.set_struct(msg::kAddService, service_req(v6_key(80))).status == EEXIST);
  REQUIRE(d.set_struct(msg::kAddDest, dest_req(v6_key(80), "2001:db8:1::2", 8080)).status == 0);
  REQUIRE(d.set_struct(msg::kAddDest, dest_req(v6_key(80), "2001:db8:1::3", 8080, msg::fwd_droute, 3)).status == 0);

  const Reply info = d.get_struct(msg::kGetInfo, msg::VersionQuery{msg::kVersion});
  REQUIRE(info.status == 0);
  CHECK(info.at<msg::Info>().services == 2);
  CHECK(info.at<msg::Info>().services_v6 == 1);
  // The kernel's view still counts IPv4 only.
  CHECK(d.get(IP_VS_SO_GET_INFO, 12).at<ip_vs_getinfo>().num_services == 1);

  const Reply all = d.get_struct(msg::kGetServices, list_query());
  REQUIRE(all.status == 0);
  REQUIRE(all.payload.size() == sizeof(msg::ListHead) + 2 * sizeof(msg::ServiceEntry));
  const auto head = all.at<msg::ListHead>();
  CHECK(head.version == msg::kVersion);
  CHECK(head.count == 2);
  CHECK(head.total == 2);
  const auto e = all.at<msg::ServiceEntry>(sizeof head);
  CHECK(e.key.family == 6);
  CHECK(e.num_dests == 2);
  CHECK(e.netmask == 128);
  CHECK(std::string(e.sched_name) == "rr");

  const Reply only4 = d.get_struct(msg::kGetServices, list_query(4));
  CHECK(only4.at<msg::ListHead>().count == 1);
  CHECK(d.get_struct(msg::kGetServices, list_query(5)).status == EINVAL);
  const Reply page = d.get_struct(msg::kGetServices, list_query(0, 1, 1));
  CHECK(page.at<msg::ListHead>().count == 1);
  CHECK(page.at<msg::ListHead>().offset == 1);
  CHECK(page.at<msg::ServiceEntry>(sizeof(msg::ListHead)).key.family == 4);

  msg::DestQuery dq{};
  dq.version = msg::kVersion;
  dq.key = v6_key(80);
  const Reply dests = d.get_struct(msg::kGetDests, dq);
  REQUIRE(dests.status == 0);
  REQUIRE(dests.at<msg::ListHead>().count == 2);
  const auto d0 = dests.at<msg::DestEntry>(sizeof(msg::ListHead));
  const auto d1 = dests.at<msg::DestEntry>(sizeof(msg::ListHead) + sizeof(msg::DestEntry));
  CHECK(d0.forward == msg::fwd_fullnat);
  CHECK(d0.family == 6);
  CHECK(d0.port == htons(8080));
  CHECK(d1.forward == msg::fwd_droute);
  CHECK(d1.weight == 3);

  msg::ServiceKeyQuery sq{msg::kVersion, v6_key(80)};
  const Reply one = d.get_struct(msg::kGetService, sq);
  REQUIRE(one.status == 0);
  CHECK(one.at<msg::ListHead>().count == 1);
  sq.key = v6_key(81);
  CHECK(d.get_struct(msg::kGetService, sq).status == ESRCH);
}

TEST_CASE("ext: bad fields name themselves") {
  Daemon d;
  auto bad_family = service_req(v6_key(80));
  bad_family.key.family = 5;
  Reply r = d.set_struct(msg::kAddService, bad_family);
  CHECK(r.status == EINVAL);
  CHECK(r.text().find("service family 5") != std::string::npos);
  auto bad_proto = service_req(v6_key(80));
  bad_proto.key.protocol = 1;
  CHECK(d.set_struct(msg::kAddService, bad_proto).status == EFAULT);
  auto bad_fwd = service_req(v6_key(80));
  bad_fwd.forward = 1;
  r = d.set_struct(msg::kAddService, bad_fwd);
  CHECK(r.status == EINVAL);
  CHECK(r.text().find("forward 1") != std::string::npos);
  auto unterminated = service_req(v6_key(80));
  std::memset(unterminated.sched_name, 'a', sizeof unterminated.sched_name);
  CHECK(d.set_struct(msg::kAddService, unterminated).status == EINVAL);
  auto bad_mask = service_req(v6_key(80));
  bad_mask.has_netmask = 1;
  bad_mask.netmask = 129;
  CHECK(d.set_struct(msg::kAddService, bad_mask).status == EINVAL);

  REQUIRE(d.set_struct(msg::kAddService, service_req(v6_key(80))).status == 0);
  auto mixed = dest_req(v6_key(80), "2001:db8:1::2", 80);
  mixed.family = 4;
  CHECK(d.set_struct(msg::kAddDest, mixed).status == EAFNOSUPPORT);
  CHECK(d.set_struct(msg::kAddDest, dest_req(v6_key(80), "2001:db8:1::2", 80, msg::fwd_fullnat, -3)).status == ERANGE);
  CHECK(d.set_struct(msg::kAddDest, dest_req(v6_key(80), "2001:db8:1::2", 80, 7)).status == EINVAL);
  CHECK(d.set_struct(msg::kEditDest, dest_req(v6_key(80), "2001:db8:1::9", 80)).status == ENOENT);
  CHECK(d.set_struct(msg::kDelDest, dest_req(v6_key(80), "2001:db8:1::9", 80)).status == ENOENT);
  CHECK(d.set_struct(msg::kAddDest, dest_req(v6_key(81), "2001:db8:1::2", 80)).status == ESRCH);
}

TEST_CASE("ext: edit keeps the key and changes the rest, then delete and zero") {
  Daemon d;
  auto req = service_req(v4_key("198.18.0.100", 80));
  req.forward = msg::fwd_fullnat;
  REQUIRE(d.set_struct(msg::kAddService, req).status == 0);
  req = service_req(v4_key("198.18.0.100", 80), "mh");
  req.flags = msg::svc_persistent;
  req.timeout_s = 60;
  req.has_netmask = 1;
  req.netmask = 0xffffff00;
  req.toa_off = 1;
  REQUIRE(d.set_struct(msg::kEditService, req).status == 0);
  msg::ServiceKeyQuery sq{msg::kVersion, v4_key("198.18.0.100", 80)};
  const auto e = d.get_struct(msg::kGetService, sq).at<msg::ServiceEntry>(sizeof(msg::ListHead));
  CHECK(std::string(e.sched_name) == "mh");
  CHECK(e.flags == msg::svc_persistent);
  CHECK(e.timeout_s == 60);
  CHECK(e.netmask == 0xffffff00);
  CHECK(e.forward == msg::fwd_masq);
  CHECK(e.toa_off == 1);
  CHECK(d.set_struct(msg::kEditService, service_req(v4_key("198.18.0.101", 80))).status == ESRCH);

  msg::ZeroReq z{};
  z.version = msg::kVersion;
  z.all = 1;
  CHECK(d.set_struct(msg::kZero, z).status == 0);
  z.all = 0;
  z.key = v4_key("198.18.0.101", 80);
  CHECK(d.set_struct(msg::kZero, z).status == ESRCH);
  z.all = 2;
  CHECK(d.set_struct(msg::kZero, z).status == EINVAL);

  CHECK(d.set_struct(msg::kDelService, sq).status == 0);
  CHECK(d.set_struct(msg::kDelService, sq).status == ESRCH);
}

TEST_CASE("ext: local-address groups") {
  Daemon d;
  const auto k = v4_key("198.18.0.100", 80);
  REQUIRE(d.set_struct(msg::kAddService, service_req(k)).status == 0);
  msg::LaddrReq l{};
  l.version = msg::kVersion;
  l.key = k;
  l.family = 4;
  inet_pton(AF_INET, "198.18.2.1", l.addr);
  REQUIRE(d.set_struct(msg::kAddLaddr, l).status == 0);
  CHECK(d.set_struct(msg::kAddLaddr, l).status == EEXIST);
  inet_pton(AF_INET, "198.18.2.2", l.addr);
  REQUIRE(d.set_struct(msg::kAddLaddr, l).status == 0);
  msg::ServiceKeyQuery sq{msg::kVersion, k};
  const Reply r = d.get_struct(msg::kGetLaddrs, sq);
  REQUIRE(r.status == 0);
  REQUIRE(r.at<msg::ListHead>().count == 2);
  CHECK(r.at<msg::LaddrAddr>(sizeof(msg::ListHead)).addr[3] == 1);
  CHECK(r.at<msg::LaddrAddr>(sizeof(msg::ListHead) + sizeof(msg::LaddrAddr)).addr[3] == 2);
  CHECK(d.get_struct(msg::kGetService, sq).at<msg::ServiceEntry>(sizeof(msg::ListHead)).num_laddrs == 2);
  REQUIRE(d.set_struct(msg::kDelLaddr, l).status == 0);
  CHECK(d.set_struct(msg::kDelLaddr, l).status == ENOENT);
  l.family = 6;
  CHECK(d.set_struct(msg::kAddLaddr, l).status == EAFNOSUPPORT);
  l.family = 4;
  l.key = v4_key("198.18.0.9", 80);
  CHECK(d.set_struct(msg::kAddLaddr, l).status == ESRCH);
}
