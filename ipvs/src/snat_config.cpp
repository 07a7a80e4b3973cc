// [[snat]] in the config: DPVS's `ipvsadm -A -t|-u ... --match src-range=...` SNAT service, as a table whose
// keys read as the match (source, proto, dport) and the pool (local_addresses).

#include "snat_config.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdlib>

#include "fulcrum/ipvs/service.hpp"
#include "service/service_table.hpp"

namespace fulcrum::ipvs {
namespace {

bool parse_ip(const std::string& text, Family* family, IpAddr* out) {
  *out = IpAddr{};
  if (inet_pton(AF_INET, text.c_str(), out->bytes.data()) == 1) {
    *family = Family::v4;
    return true;
  }
  *out = IpAddr{};
  if (inet_pton(AF_INET6, text.c_str(), out->bytes.data()) == 1) {
    *family = Family::v6;
    return true;
  }
  return false;
}

struct RawSnat {
  std::string source, proto;
  int64_t dport = 0, dport_max = -1;
  std::vector<std::string> laddrs;
};

RawSnat read_keys(core::ConfigTable& t) {
  RawSnat r;
  r.source = t.get_string("source", "", "required: the inside hosts' network, ADDRESS/PREFIX (IPv4 or IPv6)");
  r.proto = t.get_enum("proto", "any", {"any", "tcp", "udp"}, "the protocol the rule takes: tcp, udp or any");
  r.dport = t.get_int("dport", 0, 0, 65535, "the destination port the rule takes; 0: every port");
  r.dport_max = t.get_int("dport_max", -1, -1, 65535, "with dport: the last port of a range; -1: dport alone");
  r.laddrs = t.get_string_array("local_addresses", {},
                                "required: the SNAT pool, balancer addresses (fnat-local) of the source's family "
                                "that the flows leave from");
  return r;
}

SnatRule to_rule(core::ConfigTable& t, const RawSnat& r) {
  SnatRule rule;
  if (!t.has("source")) t.fail("source", "is required (ADDRESS/PREFIX, e.g. 198.18.5.0/24)");
  const size_t slash = r.source.find('/');
  const std::string addr = r.source.substr(0, slash);
  if (!parse_ip(addr, &rule.family, &rule.source)) t.fail("source", "must be ADDRESS/PREFIX (IPv4 or IPv6)");
  const unsigned bits = addr_len(rule.family) * 8;
  if (slash == std::string::npos) {
    rule.prefix = static_cast<uint8_t>(bits);
  } else {
    const std::string len = r.source.substr(slash + 1);
    char* end = nullptr;
    const unsigned long p = std::strtoul(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || p > bits) {
      t.fail("source", "must have a prefix length of 0 to " + std::to_string(bits));
    }
    rule.prefix = static_cast<uint8_t>(p);
  }
  if (r.proto == "tcp") rule.protocol = kProtoTcp;
  if (r.proto == "udp") rule.protocol = kProtoUdp;
  if (r.dport != 0) {
    rule.dport_min = static_cast<uint16_t>(r.dport);
    rule.dport_max = r.dport_max < 0 ? rule.dport_min : static_cast<uint16_t>(r.dport_max);
    if (rule.dport_max < rule.dport_min) t.fail("dport_max", "must not be below dport (" + std::to_string(r.dport) + ")");
  } else if (r.dport_max >= 0) {
    t.fail("dport_max", "needs dport: the first port of the range");
  }
  if (r.laddrs.empty()) t.fail("local_addresses", "must hold at least one address (fnat-local, of the source's family)");
  if (r.laddrs.size() > kMaxSnatLaddrs) {
    t.fail("local_addresses", "must hold at most " + std::to_string(kMaxSnatLaddrs) + " addresses");
  }
  // The unicast rule is ServiceTable's, as for a FullNAT group: a scratch table checks it.
  ServiceTable scratch(1);
  for (size_t i = 0; i < r.laddrs.size(); ++i) {
    Family f = Family::v4;
    IpAddr a;
    if (!parse_ip(r.laddrs[i], &f, &a)) t.fail("local_addresses", i, "must be an IPv4 or IPv6 address");
    if (f != rule.family) t.fail("local_addresses", i, "must be of the source's family");
    for (const IpAddr& earlier : rule.laddrs) {
      if (earlier == a) t.fail("local_addresses", i, "is listed twice");
    }
    uint16_t id = 0;
    bool fresh = false;
    if (Status st = scratch.intern_laddr(f, a, "local address", &id, &fresh); !st.ok()) {
      t.fail("local_addresses", i, st.err == EINVAL ? "must be a unicast address" : st.msg);
    }
    rule.laddrs.push_back(a);
  }
  if (std::string why = check_snat_rule(rule); !why.empty()) {
    // Only the host-bits rule is left for it to find here.
    t.fail("source", "must be a network address: " + why);
  }
  return rule;
}

}  // namespace

std::vector<SnatRule> read_snat_rules(core::ConfigTable& root) {
  std::vector<SnatRule> out;
  auto tables = root.tables("snat", "an SNAT rule: [[snat]] per match (source network, protocol, ports), first match wins");
  if (tables.empty()) {
    core::ConfigTable schema_only = root.table("snat[]", "");
    (void)read_keys(schema_only);
  }
  if (tables.size() > kMaxSnatRules) {
    tables[kMaxSnatRules].fail("source", "one rule too many: at most " + std::to_string(kMaxSnatRules) + " [[snat]] tables");
  }
  for (auto& t : tables) out.push_back(to_rule(t, read_keys(t)));
  return out;
}

}  // namespace fulcrum::ipvs
