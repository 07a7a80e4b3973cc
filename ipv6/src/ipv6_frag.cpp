// Reassembly of fragments addressed to us (rte_ip_frag, one table per worker) and fragmentation of our own
// packets larger than the output device's MTU.

#include <rte_cycles.h>

#include "ipv6.hpp"
#include "ipv6_check.hpp"

namespace fulcrum::ipv6 {
namespace {

constexpr uint16_t kMaxFragments = 64;

}  // namespace

rte_mbuf* Ipv6::reassemble(LcoreInet& lc, rte_mbuf* m, uint16_t frag_offset) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  // rte_ip_frag handles a fragment header right after the base header only.
  if (frag_offset != sizeof(rte_ipv6_hdr)) {
    c.add(Ctr::frag_failed);
    rte_pktmbuf_free(m);
    return nullptr;
  }
  Lcore* l = lcore_of(lc);
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr*);
  auto* fh = rte_pktmbuf_mtod_offset(m, rte_ipv6_fragment_ext*, frag_offset);
  // As for IPv4: the library is told there is no link header before the IP header (ours stays in the
  // headroom), and l3_len covers the base header and the fragment header.
  const uint16_t l2 = m->l2_len;
  m->l2_len = 0;
  m->l3_len = static_cast<uint16_t>(frag_offset + sizeof(rte_ipv6_fragment_ext));
  const uint32_t before = l->death.cnt;
  rte_mbuf* whole = rte_ipv6_frag_reassemble_packet(l->frag, &l->death, m, rte_rdtsc(), ip, fh);
  if (l->death.cnt > before) c.add(Ctr::frag_failed, l->death.cnt - before);
  if (whole == nullptr) return nullptr;
  // The library took the fragment header out by moving the base header 8 bytes up: the Ethernet header,
  // which the kernel path puts back, follows it.
  auto* data = rte_pktmbuf_mtod(whole, uint8_t*);
  if (rte_pktmbuf_headroom(whole) >= l2 + sizeof(rte_ipv6_fragment_ext)) {
    std::memmove(data - l2, data - l2 - sizeof(rte_ipv6_fragment_ext), l2);
  }
  whole->l2_len = l2;
  whole->l3_len = sizeof(rte_ipv6_hdr);
  c.add(Ctr::frag_reassembled);
  return whole;
}

void Ipv6::fragment(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  rte_mbuf* frags[kMaxFragments];
  const int32_t n = rte_ipv6_fragment_packet(m, frags, kMaxFragments, mtu, inet_.pool(), inet_.indirect_pool());
  uint8_t dst[16];
  std::memcpy(dst, rte_pktmbuf_mtod(m, const rte_ipv6_hdr*)->dst_addr, 16);
  rte_pktmbuf_free(m);
  if (n < 0) {
    c.add(Ctr::out_frag_failed);
    return;
  }
  c.add(Ctr::out_fragmented);
  c.add(Ctr::out_fragments, static_cast<uint64_t>(n));
  const uint8_t* next = hop.has_gateway() ? hop.gateway.data() : dst;
  for (int32_t i = 0; i < n; ++i) {
    frags[i]->l3_len = sizeof(rte_ipv6_hdr) + sizeof(rte_ipv6_fragment_ext);
    inet_.neigh_send(lc, Family::v6, hop.ifindex, next, frags[i]);
  }
}

}  // namespace fulcrum::ipv6
