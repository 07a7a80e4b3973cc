#pragma once
// What the ipvs path reads of a packet before it knows its connection: the L4 header's place and the flow
// key, for IPv4 and IPv6 alike, and the incremental checksum arithmetic its rewrites use. The packet's data
// is at its IP header and l3_len is the IP header's length, as the inet hooks hand it over.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fulcrum/inet/packet_util.hpp"
#include "fulcrum/ipvs/flow_key.hpp"

namespace fulcrum::ipvs {

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpAck = 0x10;

struct PacketView {
  uint8_t* l3 = nullptr;
  uint8_t* l4 = nullptr;
  uint16_t l3_len = 0;
  uint8_t proto = 0;
  uint8_t tcp_flags = 0;
  uint8_t family = 4;
};

enum class ParseResult : uint8_t { flow, icmp, other, truncated };

// TCP and UDP give a flow key; ICMP errors are the icmp path's; anything else, and fragments (which the stack
// reassembles before local delivery, where the path sees them again), is not ours.
inline ParseResult parse_packet(rte_mbuf* m, uint8_t family, PacketView* v, FlowKey* k) {
  v->l3 = rte_pktmbuf_mtod(m, uint8_t*);
  v->l3_len = m->l3_len;
  v->family = family;
  if (family == 4) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(v->l3);
    if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0) {
      return ParseResult::other;
    }
    v->proto = ip->next_proto_id;
  } else {
    // Extension headers other than none: rare for the traffic a balancer carries; left to the stack.
    if (v->l3_len != sizeof(rte_ipv6_hdr)) return ParseResult::other;
    v->proto = reinterpret_cast<const rte_ipv6_hdr*>(v->l3)->proto;
  }
  v->l4 = v->l3 + v->l3_len;
  uint32_t need = v->l3_len;
  switch (v->proto) {
    case IPPROTO_TCP: need += sizeof(rte_tcp_hdr); break;
    case IPPROTO_UDP: need += sizeof(rte_udp_hdr); break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: return (family == 4) == (v->proto == IPPROTO_ICMP) ? ParseResult::icmp : ParseResult::other;
    default: return ParseResult::other;
  }
  if (m->data_len < need) return ParseResult::truncated;
  if (v->proto == IPPROTO_TCP) {
    const auto* th = reinterpret_cast<const rte_tcp_hdr*>(v->l4);
    if (m->data_len < v->l3_len + ((th->data_off >> 4) * 4u) || (th->data_off >> 4) < 5) {
      return ParseResult::truncated;
    }
    v->tcp_flags = th->tcp_flags;
  }
  const auto* ports = reinterpret_cast<const uint16_t*>(v->l4);
  if (family == 4) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(v->l3);
    *k = make_flow_key4(ip->src_addr, ip->dst_addr, ports[0], ports[1], v->proto);
  } else {
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(v->l3);
    *k = make_flow_key6(ip->src_addr, ip->dst_addr, ports[0], ports[1], v->proto);
  }
  return ParseResult::flow;
}

// One's complement arithmetic for RFC 1624 updates: accumulate ~old + new over the words that change, then
// fold the sum into a checksum once.
struct CsumDelta {
  uint32_t sum = 0;
  void replace(const void* old_bytes, const void* new_bytes, size_t len) {  // len even
    const auto* o = static_cast<const uint8_t*>(old_bytes);
    const auto* n = static_cast<const uint8_t*>(new_bytes);
    for (size_t i = 0; i < len; i += 2) {
      uint16_t ow, nw;
      std::memcpy(&ow, o + i, 2);
      std::memcpy(&nw, n + i, 2);
      sum += static_cast<uint16_t>(~ow);
      sum += nw;
    }
  }
  void replace16(uint16_t old_word, uint16_t new_word) { replace(&old_word, &new_word, 2); }
  uint16_t apply(uint16_t cksum) const {
    uint64_t s = static_cast<uint16_t>(~cksum);
    s += sum;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
  }
};

inline uint16_t* l4_checksum(const PacketView& v) {
  // By offset: DPDK's headers are packed, and both fields sit 16-bit aligned in the header.
  return reinterpret_cast<uint16_t*>(v.l4 + (v.proto == IPPROTO_TCP ? offsetof(rte_tcp_hdr, cksum)
                                                                    : offsetof(rte_udp_hdr, dgram_cksum)));
}

// The L4 checksum computed whole (pseudo header included) for the checksum field at `field_off` in the L4
// header, which must hold 0: for the rare packets whose length changes (TOA) or that are rebuilt (ICMP).
inline uint16_t l4_checksum_full(const rte_mbuf* m, const PacketView& v, bool udp) {
  uint32_t l4_len;
  uint32_t phdr;
  if (v.family == 4) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(v.l3);
    l4_len = static_cast<uint32_t>(rte_be_to_cpu_16(ip->total_length) - v.l3_len);
    phdr = rte_ipv4_phdr_cksum(ip, 0);
  } else {
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(v.l3);
    l4_len = static_cast<uint32_t>(rte_be_to_cpu_16(ip->payload_len) + sizeof(rte_ipv6_hdr) - v.l3_len);
    phdr = rte_ipv6_phdr_cksum(ip, 0);
  }
  const uint16_t sum = inet::checksum_mbuf(m, v.l3_len, l4_len, phdr);
  const uint16_t ck = static_cast<uint16_t>(~sum);
  return ck == 0 && udp ? 0xffff : ck;
}

// Rewrites the addresses and ports of a TCP or UDP packet in place and updates its L4 checksum (the IPv4
// header's is recomputed on output). Addresses are the family's bytes, ports network order.
inline void rewrite_tuple(const PacketView& v, const uint8_t* saddr, uint16_t sport, const uint8_t* daddr,
                          uint16_t dport) {
  const size_t alen = v.family == 4 ? 4 : 16;
  uint8_t* src;
  uint8_t* dst;
  if (v.family == 4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(v.l3);
    src = reinterpret_cast<uint8_t*>(&ip->src_addr);
    dst = reinterpret_cast<uint8_t*>(&ip->dst_addr);
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(v.l3);
    src = ip->src_addr;
    dst = ip->dst_addr;
  }
  auto* ports = reinterpret_cast<uint16_t*>(v.l4);
  CsumDelta d;
  d.replace(src, saddr, alen);
  d.replace(dst, daddr, alen);
  d.replace16(ports[0], sport);
  d.replace16(ports[1], dport);
  uint16_t* ck = l4_checksum(v);
  // An IPv4 UDP checksum of 0 means "none" and stays so; a computed 0 is sent as all ones.
  if (!(v.proto == IPPROTO_UDP && *ck == 0 && v.family == 4)) {
    uint16_t c = d.apply(*ck);
    if (c == 0 && v.proto == IPPROTO_UDP) c = 0xffff;
    *ck = c;
  }
  std::memcpy(src, saddr, alen);
  std::memcpy(dst, daddr, alen);
  ports[0] = sport;
  ports[1] = dport;
}

}  // namespace fulcrum::ipvs
