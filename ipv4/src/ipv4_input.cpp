// The IPv4 receive path: validation, pre-routing hooks, the local/forward split, local delivery and
// forwarding. Bursts all the way; no allocation, lock or syscall per packet.

#include <rte_prefetch.h>

#include "ipv4.hpp"
#include "ipv4_check.hpp"

namespace fulcrum::ipv4 {
namespace {

constexpr uint16_t kPrefetchOffset = 3;

const rte_ipv4_hdr* hdr(const rte_mbuf* m) { return rte_pktmbuf_mtod(m, const rte_ipv4_hdr*); }

void count_hooks(inet::FamilyCounters& c, const inet::HookChain::Result& r, Ctr dropped) {
  if (r.dropped != 0) c.add(dropped, r.dropped);
  if (r.stolen != 0) c.add(Ctr::in_hook_stolen, r.stolen);
}

}  // namespace

void Ipv4::on_ipv4(void* self, rte_mbuf** pkts, uint16_t n) {
  auto* v4 = static_cast<Ipv4*>(self);
  LcoreInet* lc = v4->inet_.lcore();
  if (lc == nullptr || !lc->tables) {
    rte_pktmbuf_free_bulk(pkts, n);  // not a worker: netif only calls handlers on workers
    return;
  }
  while (n > 0) {
    const uint16_t chunk = n < kBurst ? n : kBurst;
    v4->input(*lc, pkts, chunk);
    pkts += chunk;
    n = static_cast<uint16_t>(n - chunk);
  }
}

void Ipv4::input(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  c.add(Ctr::in_receives, n);
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));

  rte_mbuf* good[kBurst];
  rte_mbuf* bad[kBurst];
  uint16_t k = 0;
  uint16_t n_bad = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    rte_mbuf* m = pkts[i];
    const Ipv4Verdict v = check_ipv4(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, m->pkt_len);
    // Anything past total_length is Ethernet padding (a short packet is padded to 60 bytes).
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
    m->l3_len = v.header_len;
    good[k++] = m;
  }
  if (n_bad != 0) rte_pktmbuf_free_bulk(bad, n_bad);

  const inet::HookChain& pre = inet_.hooks(Family::v4, inet::HookPoint::pre_routing);
  if (!pre.empty() && k != 0) {
    const auto r = pre.run(inet::HookPoint::pre_routing, Family::v4, good, k, nullptr, nullptr);
    count_hooks(c, r, Ctr::in_hook_drops);
    k = r.kept;
  }
  if (k == 0) return;

  uint32_t dst[kBurst];
  const inet::AddrEntry* ours[kBurst];
  for (uint16_t i = 0; i < k; ++i) dst[i] = hdr(good[i])->dst_addr;
  lc.tables->find_addr4_bulk(dst, k, ours);
  rte_mbuf* local[kBurst];
  rte_mbuf* other[kBurst];
  uint16_t n_local = 0;
  uint16_t n_other = 0;
  for (uint16_t i = 0; i < k; ++i) {
    // The weak host model, as Linux: an address of ours is ours whichever device the packet came in on.
    if (ours[i] != nullptr) {
      local[n_local++] = good[i];
    } else {
      other[n_other++] = good[i];
    }
  }
  if (n_local != 0) local_in(lc, local, n_local);
  if (n_other != 0) not_ours(lc, other, n_other);
}

void Ipv4::local_in(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  rte_mbuf* whole[kBurst];
  uint16_t k = 0;
  bool reassembled = false;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (!is_fragment(hdr(m))) {
      whole[k++] = m;
      continue;
    }
    c.add(Ctr::frag_in);
    if (!inet_.config().reassembly) {
      c.add(Ctr::frag_dropped);
      rte_pktmbuf_free(m);
      continue;
    }
    reassembled = true;
    if (rte_mbuf* r = reassemble(lc, m)) whole[k++] = r;
  }
  if (reassembled) {
    Lcore* l = lcore_of(lc);
    rte_ip_frag_free_death_row(&l->death, 3);
  }
  const inet::HookChain& in = inet_.hooks(Family::v4, inet::HookPoint::local_in);
  if (!in.empty() && k != 0) {
    const auto r = in.run(inet::HookPoint::local_in, Family::v4, whole, k, nullptr, nullptr);
    count_hooks(c, r, Ctr::in_hook_drops);
    k = r.kept;
  }
  if (k == 0) return;
  uint8_t protos[kBurst];
  for (uint16_t i = 0; i < k; ++i) protos[i] = hdr(whole[i])->next_proto_id;
  inet_.deliver(lc, Family::v4, whole, protos, k);
}

void Ipv4::not_ours(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  const bool forwarding = lc.tables->forwarding(Family::v4);
  rte_mbuf* fwd[kBurst];
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const inet::Addr dst = inet::Addr::v4_be(hdr(m)->dst_addr);
    // Broadcast and multicast are never forwarded; with forwarding off nothing is. What the dataplane does not
    // take is the kernel's (its own addresses on the kni device, DHCP, routing protocols).
    if (!forwarding || dst.is_multicast() || dst.is_limited_broadcast()) {
      inet_.to_kernel(lc, Family::v4, m);
      continue;
    }
    fwd[k++] = m;
  }
  if (k != 0) forward(lc, fwd, k);
}

void Ipv4::forward(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  uint32_t ips[kBurst];
  uint64_t nh[kBurst];
  for (uint16_t i = 0; i < n; ++i) ips[i] = rte_be_to_cpu_32(hdr(pkts[i])->dst_addr);
  lc.tables->route4_bulk(ips, nh, n);

  rte_mbuf* out[kBurst];
  uint32_t slots[kBurst];
  Ifindex ifx[kBurst];
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const auto slot = static_cast<uint32_t>(nh[i]);
    if (slot == 0) {
      c.add(Ctr::fwd_no_route);
      icmp_error(lc, m, kIcmpDestUnreach, 0 /* net unreachable */, 0);
      rte_pktmbuf_free(m);
      continue;
    }
    const inet::NextHop& hop = lc.tables->nexthop(slot);
    // On-link on the very device it came in on, and not ours: addressed to a host beside us (the kernel's
    // own address on the kni device, a directed broadcast). Not ours to forward.
    if (!hop.has_gateway() && hop.ifindex == netif::ingress_ifindex(m)) {
      inet_.to_kernel(lc, Family::v4, m);
      continue;
    }
    if (hdr(m)->time_to_live <= 1) {
      c.add(Ctr::fwd_ttl_exceeded);
      icmp_error(lc, m, kIcmpTimeExceeded, 0, 0);
      rte_pktmbuf_free(m);
      continue;
    }
    out[k] = m;
    slots[k] = slot;
    ifx[k] = hop.ifindex;
    ++k;
  }
  const inet::HookChain& fw = inet_.hooks(Family::v4, inet::HookPoint::forward);
  if (!fw.empty() && k != 0) {
    const auto r = fw.run(inet::HookPoint::forward, Family::v4, out, k, slots, ifx);
    count_hooks(c, r, Ctr::fwd_hook_drops);
    k = r.kept;
  }
  for (uint16_t i = 0; i < k; ++i) decrement_ttl(rte_pktmbuf_mtod(out[i], rte_ipv4_hdr*));
  c.add(Ctr::fwd_packets, k);
  if (k != 0) output_routed(lc, out, slots, k, true);
}

}  // namespace fulcrum::ipv4
