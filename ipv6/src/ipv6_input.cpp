// The IPv6 receive path: validation and the extension header walk, pre-routing hooks, the local/forward split,
// local delivery and forwarding. Bursts all the way; no allocation, lock or syscall per packet.

#include <rte_prefetch.h>

#include "ipv6.hpp"
#include "ipv6_check.hpp"
#include "nd_packet.hpp"

namespace fulcrum::ipv6 {
namespace {

constexpr uint16_t kPrefetchOffset = 3;

const rte_ipv6_hdr* hdr(const rte_mbuf* m) { return rte_pktmbuf_mtod(m, const rte_ipv6_hdr*); }

void count_hooks(inet::FamilyCounters& c, const inet::HookChain::Result& r, Ctr dropped) {
  if (r.dropped != 0) c.add(dropped, r.dropped);
  if (r.stolen != 0) c.add(Ctr::in_hook_stolen, r.stolen);
}

}  // namespace

void Ipv6::on_ipv6(void* self, rte_mbuf** pkts, uint16_t n) {
  auto* v6 = static_cast<Ipv6*>(self);
  LcoreInet* lc = v6->inet_.lcore();
  if (lc == nullptr || !lc->tables) {
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  while (n > 0) {
    const uint16_t chunk = n < kBurst ? n : kBurst;
    v6->input(*lc, pkts, chunk);
    pkts += chunk;
    n = static_cast<uint16_t>(n - chunk);
  }
}

void Ipv6::input(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  c.add(Ctr::in_receives, n);
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));

  rte_mbuf* good[kBurst];
  rte_mbuf* bad[kBurst];
  uint16_t k = 0;
  uint16_t n_bad = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    rte_mbuf* m = pkts[i];
    const Ipv6Verdict v = check_ipv6(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, m->pkt_len);
    if (v.ok && m->pkt_len > v.total_len && rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - v.total_len)) != 0) {
      c.add(Ctr::in_bad_length);
      bad[n_bad++] = m;
      continue;
    }
    if (!v.ok) {
      c.add(v.reason);
      bad[n_bad++] = m;
      continue;
    }
    m->l3_len = v.l3_len;
    good[k++] = m;
  }
  if (n_bad != 0) rte_pktmbuf_free_bulk(bad, n_bad);

  const inet::HookChain& pre = inet_.hooks(Family::v6, inet::HookPoint::pre_routing);
  if (!pre.empty() && k != 0) {
    const auto r = pre.run(inet::HookPoint::pre_routing, Family::v6, good, k, nullptr, nullptr);
    count_hooks(c, r, Ctr::in_hook_drops);
    k = r.kept;
  }
  if (k == 0) return;

  rte_mbuf* local[kBurst];
  uint8_t protos[kBurst];
  uint16_t frags[kBurst];
  rte_mbuf* other[kBurst];
  uint16_t n_local = 0;
  uint16_t n_other = 0;
  for (uint16_t i = 0; i < k; ++i) {
    rte_mbuf* m = good[i];
    const uint8_t* dst = hdr(m)->dst_addr;
    bool ours = false;
    if (is_multicast(dst)) {
      // ND to the all-nodes or a solicited-node group is ours; other multicast (MLD, RA...) the kernel's.
      ours = (is_solicited_node(dst) || std::memcmp(dst, kAllNodes, 16) == 0);
    } else {
      ours = lc.tables->find_addr6(dst) != nullptr;
    }
    if (!ours) {
      other[n_other++] = m;
      continue;
    }
    // The walk is repeated here, cheaply, rather than carried through the hooks beside each packet.
    const Ipv6Verdict v = check_ipv6(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, m->pkt_len);
    if (is_multicast(dst) && v.proto != kIcmp6) {
      other[n_other++] = m;
      continue;
    }
    local[n_local] = m;
    protos[n_local] = v.proto;
    frags[n_local++] = v.frag_offset;
  }
  if (n_local != 0) local_in(lc, local, protos, frags, n_local);
  if (n_other != 0) not_ours(lc, other, n_other);
}

void Ipv6::local_in(LcoreInet& lc, rte_mbuf** pkts, uint8_t* protos, const uint16_t* frag_offsets, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  uint16_t k = 0;
  bool reassembled = false;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (frag_offsets[i] == 0) {
      pkts[k] = m;
      protos[k++] = protos[i];
      continue;
    }
    c.add(Ctr::frag_in);
    if (!inet_.config().reassembly) {
      c.add(Ctr::frag_dropped);
      rte_pktmbuf_free(m);
      continue;
    }
    reassembled = true;
    rte_mbuf* whole = reassemble(lc, m, frag_offsets[i]);
    if (whole == nullptr) continue;
    pkts[k] = whole;
    protos[k++] = hdr(whole)->proto;
  }
  if (reassembled) rte_ip_frag_free_death_row(&lcore_of(lc)->death, 3);
  const inet::HookChain& in = inet_.hooks(Family::v6, inet::HookPoint::local_in);
  if (!in.empty() && k != 0) {
    const auto r = in.run(inet::HookPoint::local_in, Family::v6, pkts, k, nullptr, nullptr);
    count_hooks(c, r, Ctr::in_hook_drops);
    k = r.kept;
    for (uint16_t i = 0; i < k; ++i) {  // the hooks may have taken some: the protocols again, from the headers
      const Ipv6Verdict v = check_ipv6(rte_pktmbuf_mtod(pkts[i], const uint8_t*), pkts[i]->data_len, pkts[i]->pkt_len);
      protos[i] = v.proto;
    }
  }
  if (k != 0) inet_.deliver(lc, Family::v6, pkts, protos, k);
}

void Ipv6::not_ours(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  const bool forwarding = lc.tables->forwarding(Family::v6);
  rte_mbuf* fwd[kBurst];
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const auto* ip = hdr(m);
    // Multicast is never forwarded, nor is anything link-local (RFC 4291 2.5.6); with forwarding off nothing
    // is. What the dataplane does not take is the kernel's.
    if (!forwarding || is_multicast(ip->dst_addr) || is_link_local(ip->dst_addr) || is_link_local(ip->src_addr) ||
        is_unspecified(ip->src_addr)) {
      inet_.to_kernel(lc, Family::v6, m);
      continue;
    }
    fwd[k++] = m;
  }
  if (k != 0) forward(lc, fwd, k);
}

void Ipv6::forward(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  uint8_t ips[kBurst][16];
  uint64_t nh[kBurst];
  for (uint16_t i = 0; i < n; ++i) std::memcpy(ips[i], hdr(pkts[i])->dst_addr, 16);
  lc.tables->route6_bulk(ips, nh, n);

  rte_mbuf* out[kBurst];
  uint32_t slots[kBurst];
  Ifindex ifx[kBurst];
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const auto slot = static_cast<uint32_t>(nh[i]);
    if (slot == 0) {
      c.add(Ctr::fwd_no_route);
      icmp6_error(lc, m, kIcmp6DestUnreach, 0 /* no route */, 0);
      rte_pktmbuf_free(m);
      continue;
    }
    const inet::NextHop& hop = lc.tables->nexthop(slot);
    if (!hop.has_gateway() && hop.ifindex == netif::ingress_ifindex(m)) {
      inet_.to_kernel(lc, Family::v6, m);  // on-link where it came from, and not ours: not ours to forward
      continue;
    }
    if (hdr(m)->hop_limits <= 1) {
      c.add(Ctr::fwd_ttl_exceeded);
      icmp6_error(lc, m, kIcmp6TimeExceeded, 0, 0);
      rte_pktmbuf_free(m);
      continue;
    }
    out[k] = m;
    slots[k] = slot;
    ifx[k] = hop.ifindex;
    ++k;
  }
  const inet::HookChain& fw = inet_.hooks(Family::v6, inet::HookPoint::forward);
  if (!fw.empty() && k != 0) {
    const auto r = fw.run(inet::HookPoint::forward, Family::v6, out, k, slots, ifx);
    count_hooks(c, r, Ctr::fwd_hook_drops);
    k = r.kept;
  }
  for (uint16_t i = 0; i < k; ++i) --rte_pktmbuf_mtod(out[i], rte_ipv6_hdr*)->hop_limits;  // no checksum in IPv6
  c.add(Ctr::fwd_packets, k);
  if (k != 0) output_routed(lc, out, slots, k, true);
}

}  // namespace fulcrum::ipv6
