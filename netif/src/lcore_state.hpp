#pragma once
// Everything one lcore touches on the packet path, owned and written by that lcore alone: the RX queues it
// polls, its own copy of each device's state (changed only through bus messages), its TX buffers, one per
// port slot, and the counters of its queues.
//
// Devices on the packet path live in two kinds of slot: port slots (DPDK ports that carry traffic: ports
// that are no bond member, bonds and knis) and VLAN slots. `devs` maps an ifindex to its slot, so that
// send() and to_kernel() find a device in one load.

#include <array>
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "counters.hpp"
#include "ethertype_dispatch.hpp"
#include "fulcrum/core/log.hpp"
#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif {

constexpr uint16_t kTxBurst = 32;
constexpr unsigned kMaxRxQueuesPerLcore = 64;
constexpr unsigned kMaxSlots = 32;  // ports + bonds + knis
constexpr unsigned kMaxIfindex = 256;
constexpr uint8_t kNoSlot = 0xff;

enum class SlotKind : uint8_t { none = 0, port = 1, vlan = 2 };

struct DevRef {
  SlotKind kind = SlotKind::none;
  uint8_t slot = kNoSlot;
};

struct LcorePortView {
  bool present = false;
  bool up = false;
  bool promisc = false;
  bool tx_vlan_insert = false;  // the PMD inserts 802.1Q tags (RTE_ETH_TX_OFFLOAD_VLAN_INSERT)
  Ifindex ifindex = kNoIfindex;
  uint8_t kni_slot = kNoSlot;  // the port slot of this device's kni
  uint8_t n_kni_rules = 0;
  const KniRule* kni_rules = nullptr;  // fixed at start, shared read-only
  rte_ether_addr mac{};
};

// A VLAN sub-interface as one lcore sees it; its counters are that lcore's share (RX and TX of its VID).
struct LcoreVlanView {
  bool present = false;
  bool up = false;
  uint8_t parent_slot = 0;
  uint16_t vid = 0;
  Ifindex ifindex = 0;
  rte_ether_addr mac{};
  QueueCounters rx;
  QueueCounters tx;
};

// No VLAN for this (port slot, VID): 0; else the VLAN slot + 1.
using VlanLookup = std::array<std::array<uint8_t, 4096>, kMaxSlots>;

struct OwnedRxQueue {
  uint16_t port_id = 0;
  uint16_t queue = 0;
  uint8_t slot = 0;
  // A kni's queue: its frames go out of this port slot as they are, with no L2 check or dispatch.
  uint8_t forward_slot = kNoSlot;
  QueueCounters counters;
};

struct TxPort {
  bool present = false;
  uint16_t port_id = 0;
  uint16_t queue = 0;
  uint16_t count = 0;
  std::array<rte_mbuf*, kTxBurst> pkts{};
  std::array<uint32_t, kTxBurst> lens{};  // read before tx_burst: afterwards the mbufs belong to the PMD
  QueueCounters counters;
};

struct alignas(64) LcoreState {
  unsigned lcore = 0;
  unsigned rx_count = 0;
  std::array<OwnedRxQueue, kMaxRxQueuesPerLcore> rx;
  std::array<DevRef, kMaxIfindex> devs{};
  std::array<LcorePortView, kMaxSlots> ports;
  std::array<TxPort, kMaxSlots> tx;
  std::array<LcoreVlanView, kMaxVlans> vlans;
  VlanLookup vlan_by_vid{};
  BurstGroups groups;
  core::LogRateLimit log_limit;
};

}  // namespace fulcrum::netif
