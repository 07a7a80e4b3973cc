#pragma once
// Validation of a received IPv6 header and its extension header chain (RFC 8200), before anything reads
// past it. Pure: unit tests feed it byte arrays.

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "fulcrum/ctrl/proto/inet.hpp"

namespace fulcrum::ipv6 {

using Ctr = ctrl::inet_msg::Counter;

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kNoNext = 59;
constexpr uint8_t kIcmp6 = 58;
// More extension headers than any sane packet carries: past this the chain is refused (it would only serve
// to make us walk).
constexpr unsigned kMaxExtHeaders = 8;

struct Ipv6Verdict {
  bool ok = false;
  Ctr reason = Ctr::in_truncated;
  uint8_t proto = 0;          // the upper-layer protocol (after a fragment header: the fragment's next header)
  uint16_t l3_len = 0;        // the base header and the extension headers before the upper layer
  uint16_t frag_offset = 0;   // where the fragment header is, 0 when there is none
  uint32_t total_len = 0;     // 40 + payload length
};

// `hdr` points at `contiguous` bytes of the packet (its first segment) out of `pkt_len` in all. Extension
// headers must lie in the first segment.
inline Ipv6Verdict check_ipv6(const uint8_t* hdr, uint32_t contiguous, uint32_t pkt_len) {
  Ipv6Verdict v;
  if (contiguous < sizeof(rte_ipv6_hdr) || pkt_len < sizeof(rte_ipv6_hdr)) return v;
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(hdr);
  if ((hdr[0] >> 4) != 6) {
    v.reason = Ctr::in_bad_version;
    return v;
  }
  const uint32_t total = sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
  // A payload length of 0 with more behind it would be a jumbogram (RFC 2675): not on Ethernet.
  if (total > pkt_len) {
    v.reason = Ctr::in_bad_length;
    return v;
  }
  if (ip->hop_limits == 0) {
    v.reason = Ctr::in_ttl_zero;
    return v;
  }
  const uint8_t* src = ip->src_addr;
  static constexpr uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (src[0] == 0xff || std::memcmp(src, kLoopback, 16) == 0) {
    v.reason = Ctr::in_martian_source;
    return v;
  }
  const uint32_t limit = contiguous < total ? contiguous : total;
  uint8_t next = ip->proto;
  uint32_t off = sizeof(rte_ipv6_hdr);
  for (unsigned n = 0;; ++n) {
    if (next != kHopByHop && next != kRouting && next != kDestOpts && next != kFragment) break;
    if (n == kMaxExtHeaders || (next == kHopByHop && off != sizeof(rte_ipv6_hdr))) {
      v.reason = Ctr::in_bad_ext_header;
      return v;
    }
    if (next == kFragment) {
      if (off + 8 > limit) {
        v.reason = Ctr::in_bad_ext_header;
        return v;
      }
      // What follows a fragment header is the fragment's data, headers or not: the walk stops here.
      v.frag_offset = static_cast<uint16_t>(off);
      next = hdr[off];
      off += 8;
      break;
    }
    if (off + 2 > limit) {
      v.reason = Ctr::in_bad_ext_header;
      return v;
    }
    const uint32_t len = (static_cast<uint32_t>(hdr[off + 1]) + 1) * 8;
    if (off + len > limit) {
      v.reason = Ctr::in_bad_ext_header;
      return v;
    }
    next = hdr[off];
    off += len;
  }
  v.ok = true;
  v.proto = next;
  v.l3_len = static_cast<uint16_t>(off);
  v.total_len = total;
  return v;
}

// The sum of the pseudo-header (RFC 8200 8.1), to add to the upper layer's own sum.
inline uint32_t pseudo_sum(const uint8_t* src, const uint8_t* dst, uint32_t upper_len, uint8_t proto) {
  const uint32_t tail[2] = {rte_cpu_to_be_32(upper_len), rte_cpu_to_be_32(proto)};
  return static_cast<uint32_t>(rte_raw_cksum(src, 16)) + rte_raw_cksum(dst, 16) + rte_raw_cksum(tail, sizeof tail);
}

inline bool is_link_local(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
inline bool is_multicast(const uint8_t* a) { return a[0] == 0xff; }
inline bool is_unspecified(const uint8_t* a) {
  static constexpr uint8_t kZero[16] = {};
  return std::memcmp(a, kZero, 16) == 0;
}

}  // namespace fulcrum::ipv6
