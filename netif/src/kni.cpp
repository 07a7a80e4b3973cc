// kni, the exception path: each port or bond with `kni = true` gets a kernel TAP (net_tap) that carries the
// port's MAC and MTU, so the kernel, sshd, FRR and keepalived see a normal interface. Up goes what the
// dataplane does not consume (frames of no registered ethertype, what a layer hands to to_kernel(), and
// what a [[kni_rule]] matches); down comes whatever the kernel sends through the TAP, out of the port as it
// is. The master polls the TAPs: the exception path never costs a worker a cycle when it is quiet.

#include <algorithm>

#include <rte_ethdev.h>

#include "dataplane.hpp"
#include "netif_log.hpp"
#include "vlan_tag.hpp"

namespace fulcrum::netif {

void Dataplane::open_kni(Netdev& parent) {
  const unsigned lcores = static_cast<unsigned>(owned_.size());
  Netdev dev;
  dev.kind = ctrl::netif_msg::LinkKind::kni;
  dev.name = parent.config.kni_name;
  dev.parent = parent.ifindex;
  dev.config.name = dev.name;
  // net_tap wants as many RX as TX queues; the kernel spreads its frames over all RX queues by flow.
  dev.config.vdev = "net_tap_kni" + std::to_string(parent.slot) + ",iface=" + dev.name + ",mac=" + parent.mac.to_string();
  dev.config.rx_queues = static_cast<uint16_t>(lcores);
  dev.config.tx_queues = static_cast<uint16_t>(lcores);
  dev.config.rx_desc = 256;
  dev.config.tx_desc = 256;
  dev.config.mtu = parent.mtu;
  const Ifindex parent_ifindex = parent.ifindex;
  const uint8_t parent_slot = parent.slot;
  open_traffic_port(std::move(dev));
  Netdev& kni = *find(netdevs_.at(parent_ifindex).config.kni_name);
  netdevs_.at(parent_ifindex).kni = kni.ifindex;
  for (auto& st : owned_) st->ports[parent_slot].kni_slot = kni.slot;
  FLOG(g_log, INFO, "%s: kni of %s, ifindex %u", kni.name.c_str(), netdevs_.at(parent_ifindex).name.c_str(),
       kni.ifindex);
}

void Dataplane::attach_kni_rules() {
  // Grouped by device, so that each port sees one contiguous run of the (fixed, shared) rules.
  std::stable_sort(cfg_.kni_rules.begin(), cfg_.kni_rules.end(),
                   [](const KniRule& a, const KniRule& b) { return a.dev < b.dev; });
  for (size_t i = 0; i < cfg_.kni_rules.size();) {
    size_t j = i;
    while (j < cfg_.kni_rules.size() && cfg_.kni_rules[j].dev == cfg_.kni_rules[i].dev) ++j;
    const Netdev* dev = find(cfg_.kni_rules[i].dev);
    for (auto& st : owned_) {
      st->ports[dev->slot].kni_rules = &cfg_.kni_rules[i];
      st->ports[dev->slot].n_kni_rules = static_cast<uint8_t>(j - i);
    }
    i = j;
  }
}

void Dataplane::to_kernel(rte_mbuf* m) {
  LcoreState* st = state_of_calling_lcore();
  const Ifindex in = ingress_ifindex(m);
  if (st == nullptr || in >= kMaxIfindex || st->devs[in].kind == SlotKind::none) {
    rte_pktmbuf_free(m);  // not a frame we received: a bug in the caller, never traffic
    return;
  }
  const DevRef ref = st->devs[in];
  uint8_t slot = ref.slot;
  uint16_t vid = 0;
  if (ref.kind == SlotKind::vlan) {
    slot = st->vlans[ref.slot].parent_slot;
    vid = st->vlans[ref.slot].vid;
  }
  const LcorePortView& port = st->ports[slot];
  // The Ethernet header is still in the headroom, just before the L3 data; a VLAN's frame gets its tag
  // back, so the kernel sees what came off the wire.
  if (port.kni_slot == kNoSlot || rte_pktmbuf_prepend(m, m->l2_len) == nullptr ||
      (vid != 0 && !insert_vlan_tag(m, vid, false))) {
    st->tx[slot].counters.drop(Drop::kni_none);
    rte_pktmbuf_free(m);
    return;
  }
  enqueue_tx(*st, port.kni_slot, m);
}

void Dataplane::forward_burst(LcoreState& st, OwnedRxQueue& q, rte_mbuf** pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    bytes += pkts[i]->pkt_len;
    enqueue_tx(st, q.forward_slot, pkts[i]);
  }
  q.counters.packets.add(n);
  q.counters.bytes.add(bytes);
}

}  // namespace fulcrum::netif
