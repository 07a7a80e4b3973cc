// Neighbour Discovery (RFC 4861) on the workers, and the solicitations and announcements the master sends.
//
// The kni/exception-path contract, as for ARP: an NS for one of our addresses, on the device that holds it,
// is answered here; every ND message then goes on to the kernel, the ones we answered or learnt from included
// (our NA is a new buffer, so the NS itself goes up: no copy needed). Router messages and redirects are the
// kernel's alone.

#include "ipv6.hpp"
#include "ipv6_check.hpp"
#include "nd_packet.hpp"

namespace fulcrum::ipv6 {
namespace {

constexpr uint8_t kNdHopLimit = 255;  // proves the sender is on the link (RFC 4861 7.1)

rte_ether_addr group_mac(const uint8_t* group) {
  return rte_ether_addr{{0x33, 0x33, group[12], group[13], group[14], group[15]}};
}

// An ND message (IPv6 header and NS/NA with one option) into `ip`; its checksum computed.
void write_nd(uint8_t* ip6, const uint8_t* src, const uint8_t* dst, uint8_t type, uint32_t flags,
              const uint8_t* target, uint8_t opt, const rte_ether_addr& mac) {
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(ip6);
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(kNdWithOptionLen);
  ip->proto = kIcmp6;
  ip->hop_limits = kNdHopLimit;
  std::memcpy(ip->src_addr, src, 16);
  std::memcpy(ip->dst_addr, dst, 16);
  uint8_t* icmp = ip6 + sizeof(rte_ipv6_hdr);
  nd_write(icmp, type, flags, target, opt, mac);
  uint32_t sum = pseudo_sum(src, dst, kNdWithOptionLen, kIcmp6) + rte_raw_cksum(icmp, kNdWithOptionLen);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  reinterpret_cast<NdMsg*>(icmp)->cksum = static_cast<uint16_t>(~sum);
}

}  // namespace

void Ipv6::nd_input(LcoreInet& lc, rte_mbuf* m, uint8_t type) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  c.add(Ctr::nd_in);
  if (type != kNdNeighSolicit && type != kNdNeighAdvert) {
    c.add(Ctr::nd_to_kernel);  // router solicitations and adverts, redirects
    netif_.to_kernel(m);
    return;
  }
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr*);
  const uint32_t len = m->pkt_len - m->l3_len;
  const auto* nd = rte_pktmbuf_mtod_offset(m, const NdMsg*, m->l3_len);
  if (len < sizeof(NdMsg) || m->data_len < m->l3_len + len || ip->hop_limits != kNdHopLimit || nd->code != 0 ||
      is_multicast(nd->target)) {
    c.add(Ctr::nd_bad);
    rte_pktmbuf_free(m);
    return;
  }
  const bool ns = type == kNdNeighSolicit;
  const NdOptions opts = nd_options(reinterpret_cast<const uint8_t*>(nd + 1), len - sizeof(NdMsg),
                                    ns ? kOptSourceLla : kOptTargetLla);
  const bool dad = is_unspecified(ip->src_addr);
  const uint32_t flags = rte_be_to_cpu_32(nd->flags);
  // RFC 4861 7.1.1 / 7.1.2: a DAD probe carries no source link-layer option; a solicited NA is never sent to
  // a group.
  if (!opts.ok || (ns && dad && opts.lla) || (!ns && is_multicast(ip->dst_addr) && (flags & kNaSolicited))) {
    c.add(Ctr::nd_bad);
    rte_pktmbuf_free(m);
    return;
  }
  const Ifindex ingress = netif::ingress_ifindex(m);
  const inet::AddrEntry* e = lc.tables->find_addr6(nd->target);
  const bool ours = e != nullptr && e->ifindex == ingress;
  inet::Mac mac{};
  if (opts.lla) std::memcpy(mac.data(), opts.lla->addr_bytes, mac.size());

  if (ns) {
    // The solicitor is on the link: an NS for us creates its entry (STALE), one for another only refreshes.
    if (!dad && opts.lla && lc.tables->find_addr6(ip->src_addr) == nullptr) {
      inet_.neigh_seen(lc, inet::NeighKey::of(Family::v6, ingress, ip->src_addr), &mac, false, !ours);
    }
    if (ours) {
      const uint8_t* na_dst = dad ? kAllNodes : ip->src_addr;
      rte_ether_addr l2_dst = dad ? group_mac(kAllNodes) : opts.lla ? *opts.lla
                                    : rte_pktmbuf_mtod_offset(m, const rte_ether_hdr*, -static_cast<int>(m->l2_len))->src_addr;
      const uint32_t na_flags = kNaOverride | (dad ? 0u : kNaSolicited) |
                                (lc.tables->forwarding(Family::v6) ? kNaRouter : 0u);
      rte_mbuf* r = rte_pktmbuf_alloc(inet_.pool());
      auto* p = r == nullptr ? nullptr
                             : reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, sizeof(rte_ipv6_hdr) + kNdWithOptionLen));
      if (p == nullptr) {
        c.add(Ctr::no_mbuf);
        if (r != nullptr) rte_pktmbuf_free(r);
      } else {
        write_nd(p, nd->target, na_dst, kNdNeighAdvert, na_flags, nd->target, kOptTargetLla,
                 lc.tables->ifv(ingress).mac);
        r->l3_len = sizeof(rte_ipv6_hdr);
        c.add(Ctr::nd_replies);
        inet_.send_l2(lc, Family::v6, ingress, l2_dst, r);
      }
    } else {
      c.add(Ctr::nd_to_kernel);
    }
  } else if (lc.tables->find_addr6(nd->target) == nullptr) {
    // An answer to our solicitation confirms (REACHABLE); an unsolicited one may only update an entry.
    const bool solicited = (flags & kNaSolicited) != 0;
    inet_.neigh_seen(lc, inet::NeighKey::of(Family::v6, ingress, nd->target), opts.lla ? &mac : nullptr, solicited,
                     !solicited);
  }
  netif_.to_kernel(m);
}

// ---- master ----

void Ipv6::solicit(const inet::NeighKey& key, const inet::Addr* src, const inet::Mac* unicast) {
  // An NS from :: is a DAD probe, which would not teach the neighbour anything about us: no source, no NS.
  if (src == nullptr) return;
  const auto mac = netif_.mac(key.ifindex);
  if (!mac) return;
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, mac->bytes.data(), RTE_ETHER_ADDR_LEN);
  uint8_t dst[16];
  rte_ether_addr l2_dst;
  if (unicast != nullptr) {
    std::memcpy(dst, key.addr.data(), 16);
    std::memcpy(l2_dst.addr_bytes, unicast->data(), RTE_ETHER_ADDR_LEN);
  } else {
    solicited_node(key.addr.data(), dst);
    l2_dst = group_mac(dst);
  }
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr) return;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(
      rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNdWithOptionLen));
  if (eth == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  eth->dst_addr = l2_dst;
  eth->src_addr = own;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  write_nd(reinterpret_cast<uint8_t*>(eth + 1), src->data(), dst, kNdNeighSolicit, 0, key.addr.data(),
           kOptSourceLla, own);
  netif_.send(m, key.ifindex);
}

void Ipv6::announce(Ifindex ifindex, const inet::Addr& addr) {
  const auto mac = netif_.mac(ifindex);
  if (!mac) return;
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, mac->bytes.data(), RTE_ETHER_ADDR_LEN);
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr) return;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(
      rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNdWithOptionLen));
  if (eth == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  eth->dst_addr = group_mac(kAllNodes);
  eth->src_addr = own;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  // Unsolicited, overriding (RFC 4861 7.2.6): neighbours that cached another MAC for it take ours.
  write_nd(reinterpret_cast<uint8_t*>(eth + 1), addr.data(), kAllNodes, kNdNeighAdvert, kNaOverride, addr.data(),
           kOptTargetLla, own);
  netif_.send(m, ifindex);
}

}  // namespace fulcrum::ipv6
