// The IPv6 transmit path for packets of our own and forwarded ones: local-out hooks, the route lookup (a
// burst at once), post-routing hooks, the MTU, then inet's neighbour and Ethernet header.

#include "ipv6.hpp"
#include "ipv6_check.hpp"
#include "nd_packet.hpp"

namespace fulcrum::ipv6 {

void Ipv6::output(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  const inet::HookChain& out_hooks = inet_.hooks(Family::v6, inet::HookPoint::local_out);
  while (n > 0) {
    uint16_t k = n < kBurst ? n : kBurst;
    rte_mbuf* chunk[kBurst];
    std::copy(pkts, pkts + k, chunk);
    pkts += k;
    n = static_cast<uint16_t>(n - k);
    c.add(Ctr::out_requests, k);
    if (!out_hooks.empty()) {
      const auto r = out_hooks.run(inet::HookPoint::local_out, Family::v6, chunk, k, nullptr, nullptr);
      c.add(Ctr::out_hook_drops, r.dropped);
      k = r.kept;
    }
    uint8_t ips[kBurst][16];
    uint64_t nh[kBurst];
    for (uint16_t i = 0; i < k; ++i) std::memcpy(ips[i], rte_pktmbuf_mtod(chunk[i], const rte_ipv6_hdr*)->dst_addr, 16);
    lc.tables->route6_bulk(ips, nh, k);
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

void Ipv6::output_routed(LcoreInet& lc, rte_mbuf** pkts, uint32_t* nh, uint16_t n, bool forwarded) {
  const inet::HookChain& post = inet_.hooks(Family::v6, inet::HookPoint::post_routing);
  if (!post.empty()) {
    Ifindex ifx[kBurst];
    for (uint16_t i = 0; i < n; ++i) ifx[i] = lc.tables->nexthop(nh[i]).ifindex;
    const auto r = post.run(inet::HookPoint::post_routing, Family::v6, pkts, n, nh, ifx);
    inet::FamilyCounters& c = lc.ctr(Family::v6);
    c.add(forwarded ? Ctr::fwd_hook_drops : Ctr::out_hook_drops, r.dropped);
    if (r.stolen != 0) c.add(Ctr::in_hook_stolen, r.stolen);
    n = r.kept;
  }
  for (uint16_t i = 0; i < n; ++i) {
    const inet::NextHop& hop = lc.tables->nexthop(nh[i]);
    send_one(lc, pkts[i], hop, lc.tables->ifv(hop.ifindex).mtu, forwarded);
  }
}

void Ipv6::send_one(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu, bool forwarded) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  if (mtu == 0) {
    c.add(forwarded ? Ctr::fwd_no_route : Ctr::out_no_route);
    rte_pktmbuf_free(m);
    return;
  }
  if (m->pkt_len > mtu) {
    if (forwarded) {
      // Only the source fragments in IPv6 (RFC 8200 5): it learns the MTU from Packet Too Big.
      c.add(Ctr::fwd_too_big);
      icmp6_error(lc, m, kIcmp6PacketTooBig, 0, mtu);
      rte_pktmbuf_free(m);
      return;
    }
    fragment(lc, m, hop, mtu);
    return;
  }
  const uint8_t* next = hop.has_gateway() ? hop.gateway.data() : rte_pktmbuf_mtod(m, const rte_ipv6_hdr*)->dst_addr;
  inet_.neigh_send(lc, Family::v6, hop.ifindex, next, m);
}

}  // namespace fulcrum::ipv6
