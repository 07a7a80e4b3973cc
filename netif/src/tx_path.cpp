// The transmit path: send() buffers a frame on the calling lcore's own TX queue of the port; the buffers go
// out in one tx_burst when full and at the end of every loop. A frame the ring refuses is freed and counted.

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane.hpp"
#include "vlan_tag.hpp"

namespace fulcrum::netif {

bool insert_vlan_tag(rte_mbuf* m, uint16_t vid, bool offload) {
  if (m->data_len < RTE_ETHER_HDR_LEN) return false;
  if (offload) {
    m->ol_flags |= RTE_MBUF_F_TX_VLAN;
    m->vlan_tci = vid;
    return true;
  }
  // The tag goes between the addresses and the ethertype.
  if (rte_pktmbuf_prepend(m, kVlanTagLen) == nullptr) return false;
  vlan_insert_bytes(rte_pktmbuf_mtod_offset(m, uint8_t*, kVlanTagLen), vid);
  return true;
}

void Dataplane::send(rte_mbuf* m, Ifindex ifindex) {
  LcoreState* st = state_of_calling_lcore();
  if (st == nullptr || ifindex >= kMaxIfindex || st->devs[ifindex].kind == SlotKind::none) {
    // Not an lcore of ours, or no such device: a bug in the caller, never traffic. Free, do not crash.
    rte_pktmbuf_free(m);
    return;
  }
  const DevRef ref = st->devs[ifindex];
  if (ref.kind == SlotKind::port) {
    enqueue_tx(*st, ref.slot, m);
    return;
  }
  LcoreVlanView& vlan = st->vlans[ref.slot];
  if (!vlan.up) {
    vlan.tx.drop(Drop::down);
    rte_pktmbuf_free(m);
    return;
  }
  if (!insert_vlan_tag(m, vlan.vid, st->ports[vlan.parent_slot].tx_vlan_insert)) {
    vlan.tx.drop(Drop::tx_full);  // no headroom: as good as a full ring for the caller
    rte_pktmbuf_free(m);
    return;
  }
  vlan.tx.packets.add(1);
  vlan.tx.bytes.add(m->pkt_len);
  enqueue_tx(*st, vlan.parent_slot, m);
}

void Dataplane::enqueue_tx(LcoreState& st, uint8_t slot, rte_mbuf* m) {
  TxPort& tx = st.tx[slot];
  if (!st.ports[slot].up) {
    tx.counters.drop(Drop::down);
    rte_pktmbuf_free(m);
    return;
  }
  tx.lens[tx.count] = m->pkt_len;
  tx.pkts[tx.count++] = m;
  if (tx.count == kTxBurst) flush_tx(tx);
}

void Dataplane::flush_tx(TxPort& tx) {
  const uint16_t sent = rte_eth_tx_burst(tx.port_id, tx.queue, tx.pkts.data(), tx.count);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; ++i) bytes += tx.lens[i];
  tx.counters.packets.add(sent);
  tx.counters.bytes.add(bytes);
  if (sent < tx.count) {
    tx.counters.drop(Drop::tx_full, tx.count - sent);
    rte_pktmbuf_free_bulk(tx.pkts.data() + sent, tx.count - sent);
  }
  tx.count = 0;
}

uint32_t Dataplane::flush_all(LcoreState& st) {
  uint32_t flushed = 0;
  for (auto& tx : st.tx) {
    if (tx.count == 0) continue;
    flushed += tx.count;
    flush_tx(tx);
  }
  return flushed;
}

uint32_t Dataplane::master_job(void* self) {
  auto* dp = static_cast<Dataplane*>(self);
  dp->running_.store(true, std::memory_order_relaxed);
  LcoreState* st = dp->state_of_calling_lcore();
  if (st == nullptr) return 0;
  const uint32_t received = dp->rx_poll(*st);  // the knis' queues: what the kernel sends out
  return received + flush_all(*st);
}

}  // namespace fulcrum::netif
