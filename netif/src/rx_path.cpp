// The receive path, run by each worker every loop: poll the RX queues it owns, find the device a frame is for
// (the port, or a VLAN of it), check L2, then hand each ethertype's share of the burst to its handler in one
// call. What no handler takes goes to the device's kni, if it has one. No allocation, lock or syscall per
// packet.

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane.hpp"
#include "kni_match.hpp"
#include "l2_filter.hpp"
#include "vlan_tag.hpp"

namespace fulcrum::netif {
namespace {

// How far ahead the loop prefetches frame data: the header of packet i + 3 is on its way while packet i is
// looked at (as DPDK's l3fwd does).
constexpr uint16_t kPrefetchOffset = 3;
const uint16_t kVlanTpidBe = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);

// Where a frame's drop is counted: the queue's burst totals (a port) or a VLAN's own counters.
struct DropSink {
  uint32_t* burst;
  QueueCounters* vlan;
  void count(Drop reason) const {
    if (vlan != nullptr) {
      vlan->drop(reason);
    } else {
      ++burst[static_cast<unsigned>(reason)];
    }
  }
};

// 802.1Q: the VLAN slot a tagged frame (in the frame, or stripped by the PMD into the mbuf) belongs to, with
// the tag taken off. A tag in the frame wins over the mbuf's flags (a PMD may have put it back without
// clearing them). Returns nullptr for an untagged frame; sets `reason` when the frame must be dropped.
LcoreVlanView* untag(LcoreState& st, uint8_t slot, rte_mbuf* m, bool* drop, Drop* reason) {
  const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  uint16_t vid;
  if (reinterpret_cast<const rte_ether_hdr*>(frame)->ether_type == kVlanTpidBe) {
    if (m->data_len < kVlanFrameMin) {
      *drop = true;
      *reason = Drop::runt;
      return nullptr;
    }
    vid = vlan_tci_of(frame) & kVlanIdMask;
    vlan_strip_bytes(rte_pktmbuf_mtod(m, uint8_t*));
    rte_pktmbuf_adj(m, kVlanTagLen);
  } else if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
    vid = m->vlan_tci & kVlanIdMask;
  } else {
    return nullptr;
  }
  m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
  const uint8_t v = st.vlan_by_vid[slot][vid];
  if (v == 0) {
    *drop = true;
    *reason = Drop::vlan_unknown;
    return nullptr;
  }
  return &st.vlans[v - 1u];
}

}  // namespace

uint32_t Dataplane::worker_job(void* self) {
  auto* dp = static_cast<Dataplane*>(self);
  LcoreState* st = dp->state_of_calling_lcore();
  if (st == nullptr) return 0;
  const uint32_t received = dp->rx_poll(*st);
  return received + flush_all(*st);
}

uint32_t Dataplane::rx_poll(LcoreState& st) {
  uint32_t total = 0;
  for (unsigned i = 0; i < st.rx_count; ++i) {
    OwnedRxQueue& q = st.rx[i];
    rte_mbuf* pkts[kRxBurst];
    const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, pkts, kRxBurst);
    if (n == 0) continue;
    if (!st.ports[q.slot].up) {
      // Admin down: what arrives is lost, as on a Linux device that is down. Virtual PMDs cannot stop their
      // kernel side from queueing frames, so they are drained here and counted as `down`, never received.
      q.counters.drop(Drop::down, n);
      rte_pktmbuf_free_bulk(pkts, n);
      continue;
    }
    total += n;
    if (q.forward_slot != kNoSlot) {
      forward_burst(st, q, pkts, n);
    } else {
      process_burst(st, q, pkts, n);
    }
  }
  return total;
}

void Dataplane::process_burst(LcoreState& st, OwnedRxQueue& q, rte_mbuf** pkts, uint16_t n) {
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));

  const LcorePortView& port = st.ports[q.slot];
  rte_mbuf* dropped[kRxBurst];
  uint16_t n_dropped = 0;
  uint32_t drops[kDropReasons] = {};
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    rte_mbuf* m = pkts[i];
    bytes += m->pkt_len;
    DropSink sink{drops, nullptr};
    if (m->data_len < RTE_ETHER_HDR_LEN) {
      sink.count(Drop::runt);
      dropped[n_dropped++] = m;
      continue;
    }
    bool drop = false;
    Drop reason = Drop::runt;
    LcoreVlanView* vlan = untag(st, q.slot, m, &drop, &reason);
    if (drop) {
      sink.count(reason);
      dropped[n_dropped++] = m;
      continue;
    }
    // The device the frame is for from here on: the port, or its VLAN (which counts the frame as its own;
    // the port counted it as received above).
    Ifindex ifindex = port.ifindex;
    const rte_ether_addr* mac = &port.mac;
    bool up = true;
    if (vlan != nullptr) {
      vlan->rx.packets.add(1);
      vlan->rx.bytes.add(m->pkt_len);
      sink.vlan = &vlan->rx;
      ifindex = vlan->ifindex;
      mac = &vlan->mac;
      up = vlan->up;
    }
    const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const L2Verdict verdict = up ? classify_l2(frame, m->data_len, *mac, port.promisc) : L2Verdict::other_host;
    if (!up || verdict != L2Verdict::accept) {
      sink.count(!up ? Drop::down : verdict == L2Verdict::runt ? Drop::runt : Drop::other_host);
      dropped[n_dropped++] = m;
      continue;
    }
    const uint16_t ethertype_be = reinterpret_cast<const rte_ether_hdr*>(frame)->ether_type;
    if (vlan == nullptr && port.n_kni_rules != 0 &&
        kni_rules_match(port.kni_rules, port.n_kni_rules, ethertype_be, frame + RTE_ETHER_HDR_LEN,
                        m->data_len - RTE_ETHER_HDR_LEN)) {
      enqueue_tx(st, port.kni_slot, m);
      continue;
    }
    const int handler = ethertypes_.slot_of(ethertype_be);
    if (handler < 0) {
      if (vlan == nullptr && port.kni_slot != kNoSlot) {
        enqueue_tx(st, port.kni_slot, m);  // ARP, IPv6 or anything else no layer takes: the kernel's
      } else {
        sink.count(Drop::unknown_ethertype);
        dropped[n_dropped++] = m;
      }
      continue;
    }
    m->l2_len = RTE_ETHER_HDR_LEN;
    rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);  // data now at L3; the Ethernet header stays in the headroom
    set_ingress_ifindex(m, ifindex);
    st.groups.add(static_cast<unsigned>(handler), m);
  }

  q.counters.packets.add(n);
  q.counters.bytes.add(bytes);
  for (unsigned r = 0; r < kDropReasons; ++r) {
    if (drops[r] != 0) q.counters.drops[r].add(drops[r]);
  }
  if (n_dropped != 0) rte_pktmbuf_free_bulk(dropped, n_dropped);
  st.groups.deliver(ethertypes_);
}

}  // namespace fulcrum::netif
