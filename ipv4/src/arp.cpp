// ARP (RFC 826) on the workers, and the requests and announcements the master sends.
//
// The kni/exception-path contract: a request for one of our addresses, on the device that holds it, is
// answered here; every ARP packet then goes on to the kernel, the ones we answered or learnt from included,
// so that the kernel's neighbour table on the kni device stays right (we build our reply in a new buffer,
// so the request itself is what goes up: no copy needed). Requests for addresses that are not ours are the
// kernel's alone.

#include <rte_arp.h>

#include "arp_packet.hpp"
#include "ipv4.hpp"

namespace fulcrum::ipv4 {
namespace {

const rte_ether_addr kBroadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

bool usable_sender(const rte_ether_addr& mac) { return rte_is_unicast_ether_addr(&mac) && !rte_is_zero_ether_addr(&mac); }

}  // namespace

void Ipv4::on_arp(void* self, rte_mbuf** pkts, uint16_t n) {
  auto* v4 = static_cast<Ipv4*>(self);
  LcoreInet* lc = v4->inet_.lcore();
  if (lc == nullptr || !lc->tables) {
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  for (uint16_t i = 0; i < n; ++i) v4->arp_input(*lc, pkts[i]);
}

void Ipv4::arp_input(LcoreInet& lc, rte_mbuf* m) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  c.add(Ctr::nd_in);
  if (!arp_valid(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len)) {
    c.add(Ctr::nd_bad);
    rte_pktmbuf_free(m);
    return;
  }
  const auto* a = rte_pktmbuf_mtod(m, const rte_arp_hdr*);
  const Ifindex ingress = netif::ingress_ifindex(m);
  const uint32_t sip = a->arp_data.arp_sip;
  const uint32_t tip = a->arp_data.arp_tip;
  const rte_ether_addr sha = a->arp_data.arp_sha;
  const bool request = a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  // Ours only on the device that holds the address: one device does not answer for another's.
  const inet::AddrEntry* e = lc.tables->find_addr4(tip);
  const bool ours = e != nullptr && e->ifindex == ingress;
  if (!usable_sender(sha)) {
    c.add(Ctr::nd_bad);
    rte_pktmbuf_free(m);
    return;
  }

  // sip 0.0.0.0 is a probe (RFC 5227), sip == tip an announcement, sip one of ours a conflict: none of them
  // teaches us a neighbour to create. A packet for us creates or confirms one (confirms: a reply); one for
  // someone else, gratuitous ARP included, may only refresh what we have.
  const bool announcement = sip == tip;
  if (sip != 0 && lc.tables->find_addr4(sip) == nullptr) {
    inet::Mac mac;
    std::memcpy(mac.data(), sha.addr_bytes, mac.size());
    inet_.neigh_seen(lc, inet::NeighKey::of(Family::v4, ingress, reinterpret_cast<const uint8_t*>(&sip)), &mac,
                     ours && !request && !announcement, !ours || announcement);
  }

  if (request && ours && !announcement) {
    rte_mbuf* r = rte_pktmbuf_alloc(inet_.pool());
    auto* p = r == nullptr ? nullptr : reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, sizeof(rte_arp_hdr)));
    if (p == nullptr) {
      c.add(Ctr::no_mbuf);
      if (r != nullptr) rte_pktmbuf_free(r);
    } else {
      arp_write(p, RTE_ARP_OP_REPLY, lc.tables->ifv(ingress).mac, tip, sha, sip);
      c.add(Ctr::nd_replies);
      inet_.send_frame(lc, Family::v4, ingress, sha, RTE_ETHER_TYPE_ARP, r);
    }
  }
  if (!ours) c.add(Ctr::nd_to_kernel);
  netif_.to_kernel(m);
}

// ---- master ----

namespace {

rte_mbuf* arp_frame(rte_mempool* pool, const rte_ether_addr& own, const rte_ether_addr& eth_dst, uint16_t op,
                    uint32_t sip, const rte_ether_addr& tha, uint32_t tip) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)));
  if (eth == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  rte_ether_addr_copy(&eth_dst, &eth->dst_addr);
  rte_ether_addr_copy(&own, &eth->src_addr);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  arp_write(reinterpret_cast<uint8_t*>(eth + 1), op, own, sip, tha, tip);
  m->l2_len = sizeof(rte_ether_hdr);
  return m;
}

}  // namespace

void Ipv4::solicit(const inet::NeighKey& key, const inet::Addr* src, const inet::Mac* unicast) {
  const auto mac = netif_.mac(key.ifindex);
  if (!mac) return;
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, mac->bytes.data(), RTE_ETHER_ADDR_LEN);
  rte_ether_addr dst = kBroadcast;
  rte_ether_addr tha{};
  if (unicast != nullptr) {
    std::memcpy(dst.addr_bytes, unicast->data(), RTE_ETHER_ADDR_LEN);
    tha = dst;
  }
  rte_mbuf* m = arp_frame(inet_.pool(), own, dst, RTE_ARP_OP_REQUEST, src != nullptr ? src->v4_be() : 0, tha,
                          key.address().v4_be());
  if (m != nullptr) netif_.send(m, key.ifindex);
}

void Ipv4::announce(Ifindex ifindex, const inet::Addr& addr) {
  const auto mac = netif_.mac(ifindex);
  if (!mac) return;
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, mac->bytes.data(), RTE_ETHER_ADDR_LEN);
  // A gratuitous request (sender and target both the address), which every stack takes as an update.
  rte_mbuf* m = arp_frame(inet_.pool(), own, kBroadcast, RTE_ARP_OP_REQUEST, addr.v4_be(), rte_ether_addr{},
                          addr.v4_be());
  if (m != nullptr) netif_.send(m, ifindex);
}

}  // namespace fulcrum::ipv4
