// SNAT (kSnatOps, snat.cpp, SnatRules): an inside host's flow leaves from a pool address and a local port with
// its destination kept, and the outside host's reply comes back to the inside host; the rules match by source
// network, protocol and destination port, first match first. Checksums are judged by the test's own reference.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <cerrno>

#include "dataplane_test_util.hpp"
#include "fulcrum/core/config.hpp"
#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "fulcrum/ipvs/ipvs_config.hpp"
#include "sockopt_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using Access = fulcrum::ipvs::DataplaneTestAccess;

namespace {

IpAddr ip(const Addr& a) {
  IpAddr out;
  std::memcpy(out.bytes.data(), a.data(), 16);
  return out;
}

// SNAT's endpoints: caddr is the inside host, vaddr = daddr the outside host, laddr the pool address.
Endpoints snat_endpoints(uint8_t family) {
  Endpoints e = endpoints(family);
  e.daddr = e.vaddr;
  e.dport = e.vport;
  return e;
}

SnatRule rule_for(const Endpoints& e, uint8_t prefix, uint8_t proto = 0) {
  SnatRule r;
  r.family = e.family == 4 ? Family::v4 : Family::v6;
  r.prefix = prefix;
  const size_t n = alen(e.family);
  for (size_t i = 0; i < n; ++i) {
    const unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - i * 8 : 0;
    r.source.bytes[i] = static_cast<uint8_t>(e.caddr[i] & (0xff00u >> keep));
  }
  r.protocol = proto;
  r.laddrs = {ip(e.laddr)};
  return r;
}

}  // namespace

TEST_CASE("snat rules: source network, protocol and port range, first match first") {
  const Endpoints e = snat_endpoints(4);
  SnatRules rules;
  SnatRule tcp80 = rule_for(e, 24, kProtoTcp);
  tcp80.dport_min = 80;
  tcp80.dport_max = 90;
  rules.add(tcp80, {1});
  rules.add(rule_for(e, 16), {2});
  const uint8_t* host = e.caddr.data();
  const SnatMatch* m = rules.match(4, host, IPPROTO_TCP, htons(80));
  REQUIRE(m != nullptr);
  CHECK(m->index == 0);
  CHECK(m->laddr_ids[0] == 1);
  CHECK(rules.match(4, host, IPPROTO_TCP, htons(90))->index == 0);
  // Past the range, or UDP: the /16 rule that takes any protocol.
  CHECK(rules.match(4, host, IPPROTO_TCP, htons(91))->index == 1);
  CHECK(rules.match(4, host, IPPROTO_UDP, htons(80))->index == 1);
  // "any" is TCP and UDP only.
  CHECK(rules.match(4, host, 132, htons(80)) == nullptr);
  Addr other = e.caddr;
  other[1] ^= 1;  // outside the /16
  CHECK(rules.match(4, other.data(), IPPROTO_UDP, htons(80)) == nullptr);
  other = e.caddr;
  other[2] ^= 1;  // outside the /24, inside the /16
  CHECK(rules.match(4, other.data(), IPPROTO_TCP, htons(80))->index == 1);
  CHECK(rules.match(6, host, IPPROTO_TCP, htons(80)) == nullptr);

  const Endpoints e6 = snat_endpoints(6);
  SnatRules r6;
  r6.add(rule_for(e6, 61), {3});
  CHECK(r6.match(6, e6.caddr.data(), IPPROTO_UDP, htons(53)) != nullptr);
  Addr o6 = e6.caddr;
  o6[7] ^= 0x08;  // bit 60 (from 0), the prefix's last: outside the /61
  CHECK(r6.match(6, o6.data(), IPPROTO_UDP, htons(53)) == nullptr);
  o6 = e6.caddr;
  o6[7] ^= 0x04;  // bit 61, the first host bit: inside
  CHECK(r6.match(6, o6.data(), IPPROTO_UDP, htons(53)) != nullptr);
}

TEST_CASE("snat rules: what check_snat_rule refuses names the field") {
  const Endpoints e = snat_endpoints(4);
  SnatRule r = rule_for(e, 24);
  CHECK(check_snat_rule(r).empty());
  SnatRule bits = r;
  bits.source.bytes[3] = 1;
  CHECK(check_snat_rule(bits).rfind("source:", 0) == 0);
  SnatRule wide = r;
  wide.prefix = 33;
  CHECK(check_snat_rule(wide).rfind("prefix:", 0) == 0);
  SnatRule ports = r;
  ports.dport_min = 90;
  ports.dport_max = 80;
  CHECK(check_snat_rule(ports).rfind("dport:", 0) == 0);
  SnatRule pool = r;
  pool.laddrs.clear();
  CHECK(check_snat_rule(pool).rfind("local_addresses:", 0) == 0);
  SnatRule sctp = r;
  sctp.protocol = 132;
  CHECK(check_snat_rule(sctp).rfind("proto:", 0) == 0);
}

TEST_CASE("snat: the host's flow leaves from the pool with its destination kept, the reply comes back") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      INFO("family " << int(family) << " proto " << int(proto));
      Core core;
      Endpoints e = snat_endpoints(family);
      LocalAddress la;
      la.family = family;
      std::memcpy(la.addr, e.laddr.data(), 16);
      core.entry = core.ports.prepare(la);
      REQUIRE(core.ports.install(core.laddr_id(), core.entry.get()));
      SnatRules rules;
      rules.add(rule_for(e, family == 4 ? 24 : 64), {core.laddr_id()});
      core.L.snat = &rules;

      Spec s = client_to_vip(e, proto);
      if (proto == IPPROTO_TCP) {
        s.flags = kTcpSyn;
        s.tcp_opts = linux_syn_opts();
      }
      s.payload = {1, 2, 3, 4, 5, 6, 7};
      const auto in_bytes = build(s);
      Pkt p = packet(s);
      const SnatMatch* rule = rules.match(family, p.k.saddr, p.k.proto, p.k.dport);
      REQUIRE(rule != nullptr);
      Conn* c = Access::snat_create(*core.dp, core.L, *rule, p.k);
      REQUIRE(c != nullptr);
      CHECK(c->forward == static_cast<uint8_t>(ForwardMethod::snat));
      CHECK(core.ports.free_ports(core.laddr_id()) == 3);
      CHECK(core.L.services->at(c->service) == nullptr);
      e.lport = ntohs(c->lport);
      CHECK(e.lport >= 2000);
      CHECK(e.lport <= 2003);
      REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, p.m.get(), p.v));
      // Out from the pool, to the outside host itself.
      check_rewritten(in_bytes, decode(bytes_of(p.m.get())), e.laddr, e.lport, e.vaddr, e.vport);
      CHECK(ctr(core.L, DpCtr::snat_created) == 1);

      // The outside host's reply to the pool address finds the connection by its tuple.
      Spec r = server_to_laddr(e, proto);
      if (proto == IPPROTO_TCP) r.flags = kTcpSyn | kTcpAck;
      r.payload = {9, 8, 7, 6, 5};
      const auto out_bytes = build(r);
      Pkt q = packet(r);
      ConnDir dir = ConnDir::in;
      REQUIRE(core.L.conns->lookup(q.k, &dir) == c);
      CHECK(dir == ConnDir::out);
      REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::out, q.m.get(), q.v));
      check_rewritten(out_bytes, decode(bytes_of(q.m.get())), e.vaddr, e.vport, e.caddr, e.cport);

      // Released, the port goes back to the pool.
      core.dp->release(core.L, *c);
      CHECK(core.ports.free_ports(core.laddr_id()) == 4);
    }
  }
}

TEST_CASE("snat: random payloads and ports keep right checksums both ways") {
  std::mt19937 rng(11);
  Core core(64, 2000, 2003);
  Endpoints base = snat_endpoints(4);
  LocalAddress la;
  la.family = 4;
  std::memcpy(la.addr, base.laddr.data(), 16);
  core.entry = core.ports.prepare(la);
  REQUIRE(core.ports.install(core.laddr_id(), core.entry.get()));
  SnatRules rules;
  rules.add(rule_for(base, 8), {core.laddr_id()});
  for (int i = 0; i < 100; ++i) {
    const uint8_t proto = i % 3 ? IPPROTO_TCP : IPPROTO_UDP;
    Endpoints e = base;
    e.cport = static_cast<uint16_t>(rng() | 1);
    e.vport = e.dport = static_cast<uint16_t>(rng() | 1);
    e.caddr[3] = static_cast<uint8_t>(rng());
    Spec s = client_to_vip(e, proto);
    if (proto == IPPROTO_TCP) s.flags = kTcpSyn;
    s.payload = random_bytes(rng, rng() % 300);
    const auto before = build(s);
    Pkt p = packet(s);
    const SnatMatch* rule = rules.match(4, p.k.saddr, p.k.proto, p.k.dport);
    REQUIRE(rule != nullptr);
    Conn* c = Access::snat_create(*core.dp, core.L, *rule, p.k);
    REQUIRE(c != nullptr);
    e.lport = ntohs(c->lport);
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, p.m.get(), p.v));
    check_rewritten(before, decode(bytes_of(p.m.get())), e.laddr, e.lport, e.vaddr, e.vport);
    Spec r = server_to_laddr(e, proto);
    r.payload = random_bytes(rng, rng() % 300);
    const auto rb = build(r);
    Pkt q = packet(r);
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::out, q.m.get(), q.v));
    check_rewritten(rb, decode(bytes_of(q.m.get())), e.vaddr, e.vport, e.caddr, e.cport);
    core.dp->release(core.L, *c);
  }
}

TEST_CASE("snat: a pool with every port in use refuses the next flow and counts it") {
  Core core(64, 2000, 2001);
  const Endpoints e = snat_endpoints(4);
  LocalAddress la;
  la.family = 4;
  std::memcpy(la.addr, e.laddr.data(), 16);
  core.entry = core.ports.prepare(la);
  REQUIRE(core.ports.install(core.laddr_id(), core.entry.get()));
  SnatRules rules;
  rules.add(rule_for(e, 24), {core.laddr_id()});
  std::vector<Conn*> conns;
  for (uint16_t port = 1000; port < 1003; ++port) {
    Endpoints f = e;
    f.cport = port;
    Pkt p = packet(client_to_vip(f, IPPROTO_UDP));
    conns.push_back(Access::snat_create(*core.dp, core.L, *rules.match(4, p.k.saddr, IPPROTO_UDP, p.k.dport), p.k));
  }
  CHECK(conns[0] != nullptr);
  CHECK(conns[1] != nullptr);
  CHECK(conns[2] == nullptr);
  CHECK(ctr(core.L, DpCtr::snat_exhausted) == 1);
  for (Conn* c : conns) {
    if (c != nullptr) core.dp->release(core.L, *c);
  }
}

namespace {

fulcrum::ipvs::IpvsConfig read_config(const std::string& text) {
  auto doc = fulcrum::core::ConfigDocument::from_string(text);
  auto root = doc.root();
  auto cfg = fulcrum::ipvs::read_ipvs_config(root);
  doc.reject_unknown_keys();
  return cfg;
}

std::string config_error(const std::string& text) {
  try {
    read_config(text);
  } catch (const fulcrum::core::ConfigError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("snat config: [[snat]] tables in order, and what they refuse names the key and the value") {
  const auto cfg = read_config(R"(
[[snat]]
source = "198.18.5.0/24"
proto = "tcp"
dport = 80
dport_max = 443
local_addresses = ["192.0.2.10", "192.0.2.11"]
[[snat]]
source = "2001:db8:5::/48"
local_addresses = ["2001:db8:ff::10"]
)");
  REQUIRE(cfg.snat_rules.size() == 2);
  const SnatRule& r = cfg.snat_rules[0];
  CHECK(r.family == Family::v4);
  CHECK(r.prefix == 24);
  CHECK(r.protocol == kProtoTcp);
  CHECK(r.dport_min == 80);
  CHECK(r.dport_max == 443);
  CHECK(r.laddrs.size() == 2);
  CHECK(to_string(r) == "198.18.5.0/24 tcp dport 80-443 via 192.0.2.10,192.0.2.11");
  CHECK(cfg.snat_rules[1].family == Family::v6);
  CHECK(cfg.snat_rules[1].protocol == 0);
  CHECK(cfg.snat_rules[1].dport_min == 0);
  CHECK(cfg.snat_rules[1].dport_max == 65535);

  const std::string pool = "local_addresses = [\"192.0.2.10\"]\n";
  std::string e = config_error("[[snat]]\n" + pool);
  CHECK(has(e, "source"));
  e = config_error("[[snat]]\nsource = \"198.18.5.1/24\"\n" + pool);
  CHECK((has(e, "source") && has(e, "198.18.5.1/24") && has(e, "host bits")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/33\"\n" + pool);
  CHECK((has(e, "source") && has(e, "198.18.5.0/33")));
  e = config_error("[[snat]]\nsource = \"nowhere/8\"\n" + pool);
  CHECK((has(e, "source") && has(e, "nowhere/8")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\nproto = \"sctp\"\n" + pool);
  CHECK((has(e, "proto") && has(e, "sctp")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\ndport = 90\ndport_max = 80\n" + pool);
  CHECK((has(e, "dport_max") && has(e, "80")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\ndport_max = 80\n" + pool);
  CHECK(has(e, "dport_max"));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\n");
  CHECK(has(e, "local_addresses"));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\nlocal_addresses = [\"2001:db8::1\"]\n");
  CHECK((has(e, "local_addresses[0]") && has(e, "2001:db8::1") && has(e, "family")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\nlocal_addresses = [\"192.0.2.10\", \"192.0.2.10\"]\n");
  CHECK((has(e, "local_addresses[1]") && has(e, "twice")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\nlocal_addresses = [\"224.0.0.1\"]\n");
  CHECK((has(e, "local_addresses[0]") && has(e, "224.0.0.1") && has(e, "unicast")));
  e = config_error("[[snat]]\nsource = \"198.18.5.0/24\"\nport = 1\n" + pool);
  CHECK(has(e, "port"));
}

TEST_CASE("snat rules in the service manager: pool addresses share the local-address ids, config only") {
  ServiceManager m(nullptr, 2);
  SnatRule r;
  r.family = Family::v4;
  r.source = IpAddr::v4(198, 18, 5, 0);
  r.prefix = 24;
  r.laddrs = {IpAddr::v4(192, 0, 2, 10), IpAddr::v4(192, 0, 2, 11)};
  REQUIRE(m.add_snat_rule(r).ok());
  SnatRule again = r;
  again.laddrs = {IpAddr::v4(192, 0, 2, 11)};
  REQUIRE(m.add_snat_rule(again).ok());
  REQUIRE(m.snat_rules().size() == 2);
  const auto all = m.all_laddrs();
  REQUIRE(all.size() == 2);  // .11 once, held by both rules
  CHECK(all[1].services == 2);
  CHECK(m.snat_rules().all()[1].laddr_ids[0] == all[1].id);
  // Every worker's pool has the addresses' ports.
  for (unsigned w = 0; w < 2; ++w) CHECK(m.laddr_pool(w).address(all[0].id) != nullptr);
  SnatRule bad = r;
  bad.prefix = 40;
  const Status st = m.add_snat_rule(bad);
  CHECK(st.err == EINVAL);
  CHECK(has(st.msg, "prefix"));
  SnatRule multicast = r;
  multicast.laddrs = {IpAddr::v4(224, 0, 0, 1)};
  CHECK(m.add_snat_rule(multicast).err == EINVAL);
  CHECK(m.snat_rules().size() == 2);
}

TEST_CASE("snat rules: the extension message lists each rule with its pool, in match order") {
  using namespace sockopt_test;
  namespace msg = fulcrum::ctrl::ipvs_msg;
  Daemon d;
  SnatRule r;
  r.family = Family::v4;
  r.source = IpAddr::v4(198, 18, 5, 0);
  r.prefix = 24;
  r.protocol = kProtoTcp;
  r.dport_min = 80;
  r.dport_max = 443;
  r.laddrs = {IpAddr::v4(192, 0, 2, 10), IpAddr::v4(192, 0, 2, 11)};
  REQUIRE(d.services.add_snat_rule(r).ok());
  SnatRule r6;
  r6.family = Family::v6;
  r6.prefix = 0;
  IpAddr pool6;
  REQUIRE(inet_pton(AF_INET6, "2001:db8:ff::10", pool6.bytes.data()) == 1);
  r6.laddrs = {pool6};
  REQUIRE(d.services.add_snat_rule(r6).ok());
  const Reply rep = d.get_struct(msg::kGetSnatRules, msg::VersionQuery{msg::kVersion});
  REQUIRE(rep.status == 0);
  REQUIRE(rep.payload.size() == sizeof(msg::ListHead) + 2 * sizeof(msg::SnatRuleEntry) + 3 * sizeof(msg::LaddrAddr));
  const auto head = rep.at<msg::ListHead>();
  CHECK(head.count == 2);
  size_t at = sizeof head;
  const auto first = rep.at<msg::SnatRuleEntry>(at);
  CHECK(first.family == 4);
  CHECK(first.prefix == 24);
  CHECK(first.protocol == kProtoTcp);
  CHECK(first.dport_min == 80);
  CHECK(first.dport_max == 443);
  CHECK(first.num_laddrs == 2);
  CHECK(std::memcmp(first.source, r.source.bytes.data(), 16) == 0);
  at += sizeof first;
  const auto la = rep.at<msg::LaddrAddr>(at + sizeof(msg::LaddrAddr));
  CHECK(std::memcmp(la.addr, r.laddrs[1].bytes.data(), 16) == 0);
  at += 2 * sizeof(msg::LaddrAddr);
  const auto second = rep.at<msg::SnatRuleEntry>(at);
  CHECK(second.family == 6);
  CHECK(second.protocol == 0);
  CHECK(second.dport_max == 65535);
  CHECK(second.num_laddrs == 1);
  CHECK(d.get_struct(msg::kGetSnatRules, msg::VersionQuery{7}).status == EPROTO);
}
