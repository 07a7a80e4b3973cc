#pragma once
// Validation of a received IPv4 header (RFC 1122 3.2.1, RFC 1812 5.2.2), before anything reads past it.
// Pure: unit tests feed it byte arrays.

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "fulcrum/ctrl/proto/inet.hpp"

namespace fulcrum::ipv4 {

using Ctr = ctrl::inet_msg::Counter;

struct Ipv4Verdict {
  bool ok = false;
  Ctr reason = Ctr::in_truncated;  // when !ok: the drop counter
  uint16_t header_len = 0;
  uint16_t total_len = 0;
};

// `hdr` points at `contiguous` bytes of the packet (its first segment) out of `pkt_len` in all.
inline Ipv4Verdict check_ipv4(const uint8_t* hdr, uint32_t contiguous, uint32_t pkt_len) {
  Ipv4Verdict v;
  if (contiguous < sizeof(rte_ipv4_hdr) || pkt_len < sizeof(rte_ipv4_hdr)) return v;  // in_truncated
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(hdr);
  if ((ip->version_ihl >> 4) != 4) {
    v.reason = Ctr::in_bad_version;
    return v;
  }
  const uint16_t hlen = static_cast<uint16_t>((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4);
  if (hlen < sizeof(rte_ipv4_hdr) || hlen > contiguous) {
    v.reason = Ctr::in_bad_header_length;
    return v;
  }
  // The checksum of a correct header, its own checksum field included, is 0xffff (rte_ipv4_cksum returns
  // the complement, 0).
  if (rte_raw_cksum(hdr, hlen) != 0xffff) {
    v.reason = Ctr::in_bad_checksum;
    return v;
  }
  const uint16_t tot = rte_be_to_cpu_16(ip->total_length);
  if (tot < hlen || tot > pkt_len) {
    v.reason = Ctr::in_bad_length;
    return v;
  }
  if (ip->time_to_live == 0) {
    v.reason = Ctr::in_ttl_zero;
    return v;
  }
  const uint8_t s0 = hdr[12];
  uint32_t src;
  std::memcpy(&src, hdr + 12, 4);
  // A source no host can have: multicast, limited broadcast, loopback, 0.0.0.0 (RFC 1812 5.3.7).
  if ((s0 & 0xf0) == 0xe0 || src == 0xffffffffu || s0 == 127 || src == 0) {
    v.reason = Ctr::in_martian_source;
    return v;
  }
  v.ok = true;
  v.header_len = hlen;
  v.total_len = tot;
  return v;
}

inline bool is_fragment(const rte_ipv4_hdr* ip) {
  return (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

// Decrements the TTL and patches the checksum (RFC 1624): the TTL is the high byte of its 16-bit word.
inline void decrement_ttl(rte_ipv4_hdr* ip) {
  --ip->time_to_live;
  uint32_t sum = static_cast<uint32_t>(ip->hdr_checksum) + rte_cpu_to_be_16(0x0100);
  sum = (sum & 0xffff) + (sum >> 16);
  ip->hdr_checksum = static_cast<uint16_t>(sum);
}

}  // namespace fulcrum::ipv4
