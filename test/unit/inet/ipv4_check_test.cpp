#include "ipv4_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "arp_packet.hpp"

using namespace fulcrum::ipv4;

namespace {

// A valid IPv4/ICMP packet of `payload` bytes after a 20-byte header, with a good header checksum.
std::vector<uint8_t> packet(size_t payload = 8) {
  std::vector<uint8_t> p(20 + payload, 0);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&p.at(0));
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(p.size()));
  ip->time_to_live = 64;
  ip->next_proto_id = 1;
  ip->src_addr = rte_cpu_to_be_32(0xc6120002);  // 198.18.0.2
  ip->dst_addr = rte_cpu_to_be_32(0xc6120001);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return p;
}

void rechecksum(std::vector<uint8_t>& p) {
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&p.at(0));
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
}

Ctr verdict(const std::vector<uint8_t>& p, size_t contiguous = SIZE_MAX, size_t len = SIZE_MAX) {
  const auto v = check_ipv4(p.data(), static_cast<uint32_t>(std::min(contiguous, p.size())),
                            static_cast<uint32_t>(std::min(len, p.size())));
  return v.ok ? Ctr::count_ : v.reason;
}

}  // namespace

TEST_CASE("IPv4: a valid header passes with its lengths") {
  auto p = packet();
  const auto v = check_ipv4(p.data(), static_cast<uint32_t>(p.size()), static_cast<uint32_t>(p.size()));
  CHECK(v.ok);
  CHECK(v.header_len == 20);
  CHECK(v.total_len == 28);
  // Ethernet padding after total_length is fine: the caller trims it.
  p.resize(46, 0);
  CHECK(verdict(p) == Ctr::count_);
}

TEST_CASE("IPv4: each malformation has its own reason") {
  auto p = packet();
  CHECK(verdict(p, 19) == Ctr::in_truncated);
  CHECK(verdict(p, SIZE_MAX, 12) == Ctr::in_truncated);

  auto bad = p;
  bad[0] = 0x65;
  rechecksum(bad);
  CHECK(verdict(bad) == Ctr::in_bad_version);

  bad = p;
  bad[0] = 0x44;  // IHL 4: shorter than the fixed header
  CHECK(verdict(bad) == Ctr::in_bad_header_length);
  bad = p;
  bad[0] = 0x4f;  // 60 bytes of header in a 28-byte packet
  CHECK(verdict(bad) == Ctr::in_bad_header_length);

  bad = p;
  bad[10] ^= 0x55;
  CHECK(verdict(bad) == Ctr::in_bad_checksum);

  bad = p;
  reinterpret_cast<rte_ipv4_hdr*>(&bad.at(0))->total_length = rte_cpu_to_be_16(1000);
  rechecksum(bad);
  CHECK(verdict(bad) == Ctr::in_bad_length);
  reinterpret_cast<rte_ipv4_hdr*>(&bad.at(0))->total_length = rte_cpu_to_be_16(10);
  rechecksum(bad);
  CHECK(verdict(bad) == Ctr::in_bad_length);

  bad = p;
  reinterpret_cast<rte_ipv4_hdr*>(&bad.at(0))->time_to_live = 0;
  rechecksum(bad);
  CHECK(verdict(bad) == Ctr::in_ttl_zero);

  for (uint32_t src : {0xe0000001u, 0xffffffffu, 0x7f000001u, 0u}) {
    bad = p;
    reinterpret_cast<rte_ipv4_hdr*>(&bad.at(0))->src_addr = rte_cpu_to_be_32(src);
    rechecksum(bad);
    CHECK(verdict(bad) == Ctr::in_martian_source);
  }
}

TEST_CASE("the TTL decrement keeps the checksum right (RFC 1624)") {
  for (uint8_t ttl : {2, 64, 255}) {
    for (uint16_t id : {0, 1, 0x1234, 0xffff}) {
      auto p = packet();
      auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&p.at(0));
      ip->time_to_live = ttl;
      ip->packet_id = rte_cpu_to_be_16(id);
      rechecksum(p);
      decrement_ttl(ip);
      CHECK(ip->time_to_live == ttl - 1);
      CHECK(rte_raw_cksum(ip, 20) == 0xffff);
    }
  }
}

TEST_CASE("fragments are recognised by MF or an offset") {
  auto p = packet();
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(&p.at(0));
  CHECK_FALSE(is_fragment(ip));
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  CHECK_FALSE(is_fragment(ip));
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
  CHECK(is_fragment(ip));
  ip->fragment_offset = rte_cpu_to_be_16(185);
  CHECK(is_fragment(ip));
}

TEST_CASE("ARP: only Ethernet/IPv4 requests and replies of the right lengths") {
  std::vector<uint8_t> a(sizeof(rte_arp_hdr));
  const rte_ether_addr mac{{2, 0, 0, 0, 0, 1}};
  arp_write(&a.at(0), RTE_ARP_OP_REQUEST, mac, rte_cpu_to_be_32(0xc6120002), rte_ether_addr{},
            rte_cpu_to_be_32(0xc6120001));
  CHECK(arp_valid(a.data(), static_cast<uint32_t>(a.size())));
  CHECK_FALSE(arp_valid(a.data(), static_cast<uint32_t>(a.size() - 1)));
  auto bad = a;
  reinterpret_cast<rte_arp_hdr*>(&bad.at(0))->arp_opcode = rte_cpu_to_be_16(3);
  CHECK_FALSE(arp_valid(bad.data(), static_cast<uint32_t>(bad.size())));
  bad = a;
  reinterpret_cast<rte_arp_hdr*>(&bad.at(0))->arp_plen = 16;
  CHECK_FALSE(arp_valid(bad.data(), static_cast<uint32_t>(bad.size())));
  bad = a;
  reinterpret_cast<rte_arp_hdr*>(&bad.at(0))->arp_hardware = rte_cpu_to_be_16(6);
  CHECK_FALSE(arp_valid(bad.data(), static_cast<uint32_t>(bad.size())));
}
