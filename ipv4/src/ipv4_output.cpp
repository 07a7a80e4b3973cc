// The IPv4 transmit path for packets of our own and forwarded ones: local-out hooks, the route lookup (a
// burst at once), post-routing hooks, the MTU, then inet's neighbour and Ethernet header.

#include "ipv4.hpp"
#include "ipv4_check.hpp"

namespace fulcrum::ipv4 {

void Ipv4::output(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  const inet::HookChain& out_hooks = inet_.hooks(Family::v4, inet::HookPoint::local_out);
  while (n > 0) {
    uint16_t k = n < kBurst ? n : kBurst;
    rte_mbuf* chunk[kBurst];
    std::copy(pkts, pkts + k, chunk);
    pkts += k;
    n = static_cast<uint16_t>(n - k);
    c.add(Ctr::out_requests, k);
    if (!out_hooks.empty()) {
      const auto r = out_hooks.run(inet::HookPoint::local_out, Family::v4, chunk, k, nullptr, nullptr);
      c.add(Ctr::out_hook_drops, r.dropped);
      k = r.kept;
    }
    uint32_t ips[kBurst];
    uint64_t nh[kBurst];
    for (uint16_t i = 0; i < k; ++i) {
      auto* ip = rte_pktmbuf_mtod(chunk[i], rte_ipv4_hdr*);
      chunk[i]->l3_len = static_cast<uint16_t>((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4);
      // After the hooks, which may have rewritten the header.
      ip->hdr_checksum = 0;
      ip->hdr_checksum = rte_ipv4_cksum(ip);
      ips[i] = rte_be_to_cpu_32(ip->dst_addr);
    }
    lc.tables->route4_bulk(ips, nh, k);
    uint32_t slots[kBurst];
    uint16_t routed = 0;
    for (uint16_t i = 0; i < k; ++i) {
      if (nh[i] == 0) {
        c.add(Ctr::out_no_route);
        rte_pktmbuf_free(chunk[i]);
        continue;
      }
      chunk[routed] = chunk[i];
      slots[routed++] = static_cast<uint32_t>(nh[i]);
    }
    if (routed != 0) output_routed(lc, chunk, slots, routed, false);
  }
}

void Ipv4::output_routed(LcoreInet& lc, rte_mbuf** pkts, uint32_t* nh, uint16_t n, bool forwarded) {
  const inet::HookChain& post = inet_.hooks(Family::v4, inet::HookPoint::post_routing);
  if (!post.empty()) {
    Ifindex ifx[kBurst];
    for (uint16_t i = 0; i < n; ++i) ifx[i] = lc.tables->nexthop(nh[i]).ifindex;
    const auto r = post.run(inet::HookPoint::post_routing, Family::v4, pkts, n, nh, ifx);
    inet::FamilyCounters& c = lc.ctr(Family::v4);
    c.add(forwarded ? Ctr::fwd_hook_drops : Ctr::out_hook_drops, r.dropped);
    if (r.stolen != 0) c.add(Ctr::in_hook_stolen, r.stolen);
    n = r.kept;
  }
  for (uint16_t i = 0; i < n; ++i) {
    const inet::NextHop& hop = lc.tables->nexthop(nh[i]);
    send_one(lc, pkts[i], hop, lc.tables->ifv(hop.ifindex).mtu, forwarded);
  }
}

void Ipv4::send_one(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu, bool forwarded) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
  if (mtu == 0) {  // the device went away under the route: the next table message removes the route too
    c.add(forwarded ? Ctr::fwd_no_route : Ctr::out_no_route);
    rte_pktmbuf_free(m);
    return;
  }
  if (m->pkt_len > mtu) {
    if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0) {
      if (forwarded) {
        c.add(Ctr::fwd_too_big);
        // Path MTU discovery (RFC 1191): the sender learns the MTU it must use.
        icmp_error(lc, m, kIcmpDestUnreach, 4 /* fragmentation needed */, mtu);
      } else {
        c.add(Ctr::out_frag_failed);
      }
      rte_pktmbuf_free(m);
      return;
    }
    fragment(lc, m, hop, mtu);
    return;
  }
  const uint8_t* next = hop.has_gateway() ? hop.gateway.data() : reinterpret_cast<const uint8_t*>(&ip->dst_addr);
  inet_.neigh_send(lc, Family::v4, hop.ifindex, next, m);
}

}  // namespace fulcrum::ipv4
