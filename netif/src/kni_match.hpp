#pragma once
// The [[kni_rule]] test a received frame passes before dispatch: does it go straight to the kernel? Pure,
// so that unit tests need no EAL. Reads only what `len` covers.

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif {

inline bool prefix_matches(const uint8_t* addr, const uint8_t* prefix, unsigned len) {
  const unsigned bytes = len / 8;
  if (std::memcmp(addr, prefix, bytes) != 0) return false;
  const unsigned bits = len % 8;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (addr[bytes] & mask) == (prefix[bytes] & mask);
}

// `l3` starts at the IP header and holds `len` bytes; `ethertype_be` is the frame's, in network order.
inline bool kni_rule_matches(const KniRule& r, uint16_t ethertype_be, const uint8_t* l3, uint32_t len) {
  int family;
  const uint8_t* dst;
  uint8_t proto;
  uint32_t l4_off;
  bool first_fragment = true;
  if (ethertype_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
    if (len < sizeof(rte_ipv4_hdr)) return false;
    family = 4;
    dst = l3 + offsetof(rte_ipv4_hdr, dst_addr);
    proto = l3[offsetof(rte_ipv4_hdr, next_proto_id)];
    l4_off = (l3[0] & 0x0f) * 4u;
    uint16_t frag_be;
    std::memcpy(&frag_be, l3 + offsetof(rte_ipv4_hdr, fragment_offset), sizeof frag_be);
    first_fragment = (rte_be_to_cpu_16(frag_be) & RTE_IPV4_HDR_OFFSET_MASK) == 0;
  } else if (ethertype_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
    if (len < sizeof(rte_ipv6_hdr)) return false;
    family = 6;
    dst = l3 + offsetof(rte_ipv6_hdr, dst_addr);
    proto = l3[offsetof(rte_ipv6_hdr, proto)];  // no walk over extension headers: the rule sees the first
    l4_off = sizeof(rte_ipv6_hdr);
  } else {
    return false;
  }
  if (r.family != 0 && r.family != family) return false;
  if (r.family != 0 && !prefix_matches(dst, r.prefix, r.prefix_len)) return false;
  if (r.proto != 0 && r.proto != proto) return false;
  if (r.port != 0) {
    if (!first_fragment || l4_off + 4 > len) return false;
    uint16_t port_be;
    std::memcpy(&port_be, l3 + l4_off + 2, sizeof port_be);  // TCP, UDP and SCTP: destination port at 2
    if (rte_be_to_cpu_16(port_be) != r.port) return false;
  }
  return true;
}

inline bool kni_rules_match(const KniRule* rules, unsigned n, uint16_t ethertype_be, const uint8_t* l3, uint32_t len) {
  for (unsigned i = 0; i < n; ++i) {
    if (kni_rule_matches(rules[i], ethertype_be, l3, len)) return true;
  }
  return false;
}

}  // namespace fulcrum::netif
