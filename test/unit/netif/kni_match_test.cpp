#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "kni_match.hpp"

using fulcrum::netif::KniRule;
using fulcrum::netif::kni_rule_matches;

namespace {

const uint16_t kIpv4 = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
const uint16_t kIpv6 = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);

// An IPv4 header (IHL 5) and a TCP/UDP port pair.
std::array<uint8_t, 24> ipv4(const char* dst, uint8_t proto, uint16_t dport, uint16_t frag = 0) {
  std::array<uint8_t, 24> p{};
  p[0] = 0x45;
  p[6] = static_cast<uint8_t>(frag >> 8);
  p[7] = static_cast<uint8_t>(frag);
  p[9] = proto;
  inet_pton(AF_INET, dst, p.data() + 16);
  p[22] = static_cast<uint8_t>(dport >> 8);
  p[23] = static_cast<uint8_t>(dport);
  return p;
}

KniRule rule4(const char* prefix, uint8_t len, uint8_t proto = 0, uint16_t port = 0) {
  KniRule r;
  r.family = 4;
  inet_pton(AF_INET, prefix, r.prefix);
  r.prefix_len = len;
  r.proto = proto;
  r.port = port;
  return r;
}

}  // namespace

TEST_CASE("an IPv4 rule matches by prefix, protocol and destination port") {
  const KniRule ssh = rule4("198.18.0.1", 32, 6, 22);
  auto p = ipv4("198.18.0.1", 6, 22);
  CHECK(kni_rule_matches(ssh, kIpv4, p.data(), p.size()));
  p = ipv4("198.18.0.1", 6, 80);
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), p.size()));
  p = ipv4("198.18.0.1", 17, 22);
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), p.size()));
  p = ipv4("198.18.0.2", 6, 22);
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), p.size()));

  const KniRule net = rule4("198.18.0.0", 15);
  p = ipv4("198.19.255.255", 1, 0);
  CHECK(kni_rule_matches(net, kIpv4, p.data(), p.size()));
  p = ipv4("198.20.0.0", 1, 0);
  CHECK_FALSE(kni_rule_matches(net, kIpv4, p.data(), p.size()));
}

TEST_CASE("a port rule never reads past the frame nor into a later fragment") {
  const KniRule ssh = rule4("198.18.0.1", 32, 6, 22);
  auto p = ipv4("198.18.0.1", 6, 22);
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), 23));  // the port's last byte is missing
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), 19));  // not even an IPv4 header
  p = ipv4("198.18.0.1", 6, 22, 0x0010);                    // fragment offset 16: no TCP header here
  CHECK_FALSE(kni_rule_matches(ssh, kIpv4, p.data(), p.size()));
}

TEST_CASE("family: an IPv4 rule leaves IPv6 alone, an any-rule takes both but nothing else") {
  std::array<uint8_t, 44> v6{};
  v6[0] = 0x60;
  v6[6] = 17;
  inet_pton(AF_INET6, "2001:db8::1", v6.data() + 24);
  CHECK_FALSE(kni_rule_matches(rule4("198.18.0.1", 32), kIpv6, v6.data(), v6.size()));

  KniRule r6;
  r6.family = 6;
  inet_pton(AF_INET6, "2001:db8::", r6.prefix);
  r6.prefix_len = 32;
  CHECK(kni_rule_matches(r6, kIpv6, v6.data(), v6.size()));

  KniRule any;  // no family, no protocol: every IP frame
  CHECK(kni_rule_matches(any, kIpv6, v6.data(), v6.size()));
  const uint8_t arp[28] = {};
  CHECK_FALSE(kni_rule_matches(any, rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP), arp, sizeof arp));
}
