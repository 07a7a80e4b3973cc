#pragma once
// Everything one lcore touches on the packet path, owned and written by that lcore alone: the RX queues it
// polls, its own copy of each port's state (changed only through bus messages), its TX buffers, one per
// port, and the counters of its queues.

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
constexpr unsigned kMaxRxQueuesPerLcore = 32;

struct LcorePortView {
  bool present = false;
  bool up = false;
  bool promisc = false;
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

// No VLAN for this (port, VID): 0; else the VLAN's index + 1 in LcoreState::vlans.
using VlanLookup = std::array<std::array<uint8_t, 4096>, kMaxPorts>;

struct OwnedRxQueue {
  uint16_t port_id = 0;
  uint16_t queue = 0;
  uint8_t slot = 0;
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
  std::array<LcorePortView, kMaxPorts> ports;
  std::array<TxPort, kMaxPorts> tx;
  std::array<LcoreVlanView, kMaxVlans> vlans;
  VlanLookup vlan_by_vid{};
  BurstGroups groups;
  core::LogRateLimit log_limit;
};

}  // namespace fulcrum::netif
