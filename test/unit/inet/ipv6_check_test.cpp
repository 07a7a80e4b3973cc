#include "ipv6_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "nd_packet.hpp"

using namespace fulcrum::ipv6;

namespace {

const uint8_t kSrc[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const uint8_t kDst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

// A base header followed by `ext` (extension headers) and `payload` bytes of upper layer `proto`.
std::vector<uint8_t> packet(uint8_t first, const std::vector<uint8_t>& ext, size_t payload = 8) {
  std::vector<uint8_t> p(40 + ext.size() + payload, 0);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(&p.at(0));
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->proto = first;
  ip->hop_limits = 64;
  std::memcpy(ip->src_addr, kSrc, 16);
  std::memcpy(ip->dst_addr, kDst, 16);
  for (size_t i = 0; i < ext.size(); ++i) p[40 + i] = ext[i];
  ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(p.size() - 40));
  return p;
}

Ipv6Verdict check(const std::vector<uint8_t>& p, size_t contiguous = SIZE_MAX, size_t len = SIZE_MAX) {
  return check_ipv6(p.data(), static_cast<uint32_t>(std::min(contiguous, p.size())),
                    static_cast<uint32_t>(std::min(len, p.size())));
}

}  // namespace

TEST_CASE("a plain packet and one with extension headers") {
  auto v = check(packet(kIcmp6, {}));
  REQUIRE(v.ok);
  CHECK(v.proto == kIcmp6);
  CHECK(v.l3_len == 40);
  CHECK(v.frag_offset == 0);
  // hop-by-hop (8 bytes), then destination options (16 bytes), then ICMPv6
  std::vector<uint8_t> ext(24, 0);
  ext[0] = kDestOpts;
  ext[1] = 0;
  ext[8] = kIcmp6;
  ext[9] = 1;
  v = check(packet(kHopByHop, ext));
  REQUIRE(v.ok);
  CHECK(v.proto == kIcmp6);
  CHECK(v.l3_len == 64);
}

TEST_CASE("a fragment header ends the walk") {
  std::vector<uint8_t> frag(8, 0);
  frag[0] = 17;  // UDP
  frag[3] = 1;   // more fragments
  const auto v = check(packet(kFragment, frag));
  REQUIRE(v.ok);
  CHECK(v.proto == 17);
  CHECK(v.frag_offset == 40);
  CHECK(v.l3_len == 48);
}

TEST_CASE("IPv6: each malformation has its own reason") {
  auto p = packet(kIcmp6, {});
  CHECK(check(p, 39).reason == Ctr::in_truncated);
  CHECK_FALSE(check(p, 39).ok);
  auto bad = p;
  bad[0] = 0x40;
  CHECK(check(bad).reason == Ctr::in_bad_version);
  bad = p;
  reinterpret_cast<rte_ipv6_hdr*>(&bad.at(0))->payload_len = rte_cpu_to_be_16(500);
  CHECK(check(bad).reason == Ctr::in_bad_length);
  bad = p;
  reinterpret_cast<rte_ipv6_hdr*>(&bad.at(0))->hop_limits = 0;
  CHECK(check(bad).reason == Ctr::in_ttl_zero);
  bad = p;
  reinterpret_cast<rte_ipv6_hdr*>(&bad.at(0))->src_addr[0] = 0xff;
  CHECK(check(bad).reason == Ctr::in_martian_source);
  // an extension header longer than the packet
  std::vector<uint8_t> ext(8, 0);
  ext[0] = kIcmp6;
  ext[1] = 5;  // claims 48 bytes
  CHECK(check(packet(kDestOpts, ext, 0)).reason == Ctr::in_bad_ext_header);
  // hop-by-hop anywhere but first
  ext[0] = kHopByHop;
  ext[1] = 0;
  CHECK(check(packet(kDestOpts, ext)).reason == Ctr::in_bad_ext_header);
  // a chain longer than we walk
  std::vector<uint8_t> chain;
  for (int i = 0; i < 9; ++i) {
    chain.push_back(i == 8 ? kIcmp6 : kDestOpts);
    chain.insert(chain.end(), {0, 0, 0, 0, 0, 0, 0});
  }
  CHECK(check(packet(kDestOpts, chain)).reason == Ctr::in_bad_ext_header);
}

TEST_CASE("ND options: lengths checked, the link-layer address found") {
  uint8_t opts[16] = {};
  opts[0] = kOptSourceLla;
  opts[1] = 1;
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
  std::memcpy(opts + 2, mac, 6);
  opts[8] = 14;  // some other option, 8 bytes
  opts[9] = 1;
  auto o = nd_options(opts, 16, kOptSourceLla);
  REQUIRE(o.ok);
  REQUIRE(o.lla);
  CHECK(std::memcmp(o.lla->addr_bytes, mac, 6) == 0);
  CHECK_FALSE(nd_options(opts, 16, kOptTargetLla).lla);
  opts[9] = 0;  // a zero-length option is malformed
  CHECK_FALSE(nd_options(opts, 16, kOptSourceLla).ok);
  opts[9] = 2;  // past the end
  CHECK_FALSE(nd_options(opts, 16, kOptSourceLla).ok);
  CHECK(nd_options(opts, 0, kOptSourceLla).ok);  // none at all is fine
}

TEST_CASE("solicited-node groups and the pseudo-header sum") {
  uint8_t group[16];
  solicited_node(kDst, group);
  CHECK(is_solicited_node(group));
  CHECK(group[13] == 0);
  CHECK(group[15] == 1);
  CHECK_FALSE(is_solicited_node(kAllNodes));
  // An NS built with nd_write and the pseudo-header sums to 0xffff once its checksum is in.
  uint8_t ns[kNdWithOptionLen];
  nd_write(ns, kNdNeighSolicit, 0, kDst, kOptSourceLla, rte_ether_addr{{2, 0, 0, 0, 0, 2}});
  uint32_t sum = pseudo_sum(kSrc, group, sizeof ns, kIcmp6) + rte_raw_cksum(ns, sizeof ns);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  reinterpret_cast<NdMsg*>(ns)->cksum = static_cast<uint16_t>(~sum);
  sum = pseudo_sum(kSrc, group, sizeof ns, kIcmp6) + rte_raw_cksum(ns, sizeof ns);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  CHECK(sum == 0xffff);
}
