// The receive path, run by each worker every loop: poll the RX queues it owns, check L2, and hand each
// ethertype's share of the burst to its handler in one call. No allocation, lock or syscall per packet.

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane.hpp"
#include "l2_filter.hpp"
#include "vlan_tag.hpp"

namespace fulcrum::netif {
namespace {

// How far ahead the loop prefetches frame data: the header of packet i + 3 is on its way while packet i is
// looked at (as DPDK's l3fwd does).
constexpr uint16_t kPrefetchOffset = 3;
const uint16_t kVlanTpidBe = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);

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
    const LcorePortView& view = st.ports[q.slot];
    if (!view.up) continue;  // admin down: the queue is left alone, its frames wait in the PMD
    rte_mbuf* pkts[kRxBurst];
    const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, pkts, kRxBurst);
    if (n == 0) continue;
    total += n;
    process_burst(st, q, view, pkts, n);
  }
  return total;
}

void Dataplane::process_burst(LcoreState& st, OwnedRxQueue& q, const LcorePortView& view, rte_mbuf** pkts,
                              uint16_t n) {
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));

  const Ifindex ifindex = ifindex_of_slot(q.slot);
  rte_mbuf* dropped[kRxBurst];
  uint16_t n_dropped = 0;
  uint32_t drops[kDropReasons] = {};
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    rte_mbuf* m = pkts[i];
    bytes += m->pkt_len;
    const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    if (m->data_len < RTE_ETHER_HDR_LEN) {
      ++drops[static_cast<unsigned>(Drop::runt)];
      dropped[n_dropped++] = m;
      continue;
    }
    // 802.1Q: find the VLAN by (port, VID), take the tag off and go on as if it had come untagged on the
    // VLAN's own device. The PMD may have taken the tag off already (the kernel does it for af_packet).
    LcoreVlanView* vlan = nullptr;
    // A tag in the frame wins over the mbuf's flags (a PMD may have put it back without clearing them).
    if (reinterpret_cast<const rte_ether_hdr*>(frame)->ether_type == kVlanTpidBe) {
      m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
      if (m->data_len < kVlanFrameMin) {
        ++drops[static_cast<unsigned>(Drop::runt)];
        dropped[n_dropped++] = m;
        continue;
      }
      const uint8_t v = st.vlan_by_vid[q.slot][vlan_tci_of(frame) & kVlanIdMask];
      if (v == 0) {
        ++drops[static_cast<unsigned>(Drop::vlan_unknown)];
        dropped[n_dropped++] = m;
        continue;
      }
      vlan = &st.vlans[v - 1u];
      vlan_strip_bytes(rte_pktmbuf_mtod(m, uint8_t*));
      rte_pktmbuf_adj(m, kVlanTagLen);
      frame = rte_pktmbuf_mtod(m, const uint8_t*);
    } else if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
      const uint8_t v = st.vlan_by_vid[q.slot][m->vlan_tci & kVlanIdMask];
      m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
      if (v == 0) {
        ++drops[static_cast<unsigned>(Drop::vlan_unknown)];
        dropped[n_dropped++] = m;
        continue;
      }
      vlan = &st.vlans[v - 1u];
    }
    if (vlan != nullptr) {
      // Counted on the VLAN from here on; the port counted the frame as received above.
      vlan->rx.packets.add(1);
      vlan->rx.bytes.add(m->pkt_len);
      Drop reason = Drop::down;
      int slot = -1;
      if (vlan->up) {
        const L2Verdict verdict = classify_l2(frame, m->data_len, vlan->mac, view.promisc);
        if (verdict != L2Verdict::accept) {
          reason = verdict == L2Verdict::runt ? Drop::runt : Drop::other_host;
        } else {
          slot = ethertypes_.slot_of(reinterpret_cast<const rte_ether_hdr*>(frame)->ether_type);
          reason = Drop::unknown_ethertype;
        }
      }
      if (slot < 0) {
        vlan->rx.drop(reason);
        dropped[n_dropped++] = m;
        continue;
      }
      m->l2_len = RTE_ETHER_HDR_LEN;
      rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
      set_ingress_ifindex(m, vlan->ifindex);
      st.groups.add(static_cast<unsigned>(slot), m);
      continue;
    }
    const L2Verdict verdict = classify_l2(frame, m->data_len, view.mac, view.promisc);
    if (verdict != L2Verdict::accept) {
      ++drops[static_cast<unsigned>(verdict == L2Verdict::runt ? Drop::runt : Drop::other_host)];
      dropped[n_dropped++] = m;
      continue;
    }
    const int slot = ethertypes_.slot_of(reinterpret_cast<const rte_ether_hdr*>(frame)->ether_type);
    if (slot < 0) {
      ++drops[static_cast<unsigned>(Drop::unknown_ethertype)];
      dropped[n_dropped++] = m;
      continue;
    }
    m->l2_len = RTE_ETHER_HDR_LEN;
    rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);  // data now at L3; the Ethernet header stays in the headroom
    set_ingress_ifindex(m, ifindex);
    st.groups.add(static_cast<unsigned>(slot), m);
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
