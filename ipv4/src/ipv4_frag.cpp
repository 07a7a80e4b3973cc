// Reassembly of fragments addressed to us (rte_ip_frag, one table per worker) and fragmentation of packets
// larger than the output device's MTU.

#include <rte_cycles.h>

#include "ipv4.hpp"

namespace fulcrum::ipv4 {
namespace {

// A 64 KiB packet over the smallest MTU we allow (68) would need ~1000 fragments; more than this many is
// refused and counted rather than built.
constexpr uint16_t kMaxFragments = 64;

}  // namespace

rte_mbuf* Ipv4::reassemble(LcoreInet& lc, rte_mbuf* m) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  Lcore* l = lcore_of(lc);
  // rte_ip_frag expects l2_len bytes of link header before the IP header; ours is already stripped (it stays
  // in the headroom), so the library is told there is none and it comes back afterwards.
  const uint16_t l2 = m->l2_len;
  m->l2_len = 0;
  const uint32_t before = l->death.cnt;
  rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(l->frag, &l->death, m, rte_rdtsc(),
                                                    rte_pktmbuf_mtod(m, rte_ipv4_hdr*));
  if (l->death.cnt > before) c.add(Ctr::frag_failed, l->death.cnt - before);
  if (whole == nullptr) return nullptr;  // kept for later, or given up on (counted above)
  whole->l2_len = l2;
  auto* ip = rte_pktmbuf_mtod(whole, rte_ipv4_hdr*);
  whole->l3_len = static_cast<uint16_t>((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4);
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  c.add(Ctr::frag_reassembled);
  return whole;
}

void Ipv4::fragment(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  rte_mbuf* frags[kMaxFragments];
  const int32_t n = rte_ipv4_fragment_packet(m, frags, kMaxFragments, mtu, inet_.pool(), inet_.indirect_pool());
  const uint32_t dst = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*)->dst_addr;
  rte_pktmbuf_free(m);  // the fragments hold references to its data
  if (n < 0) {
    c.add(Ctr::out_frag_failed);
    return;
  }
  c.add(Ctr::out_fragmented);
  c.add(Ctr::out_fragments, static_cast<uint64_t>(n));
  const uint8_t* next = hop.has_gateway() ? hop.gateway.data() : reinterpret_cast<const uint8_t*>(&dst);
  for (int32_t i = 0; i < n; ++i) {
    rte_mbuf* f = frags[i];
    auto* ip = rte_pktmbuf_mtod(f, rte_ipv4_hdr*);
    f->l3_len = static_cast<uint16_t>((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    inet_.neigh_send(lc, Family::v4, hop.ifindex, next, f);
  }
}

}  // namespace fulcrum::ipv4
