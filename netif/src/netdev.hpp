#pragma once
// A netdev: anything with an ifindex that frames arrive on and leave by. Only DPDK ports exist so far; a VLAN
// sub-interface or a bond becomes another kind here, with the same ifindex space and control records.
// The master owns this table; workers keep their own copy of what the packet path needs (LcorePortView).

#include <cstdint>
#include <string>

#include "fulcrum/ctrl/proto/netif.hpp"
#include "fulcrum/netif/mac_address.hpp"
#include "fulcrum/netif/netif.hpp"
#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif {

struct Netdev {
  Ifindex ifindex = kNoIfindex;
  ctrl::netif_msg::LinkKind kind = ctrl::netif_msg::LinkKind::port;
  std::string name;
  PortConfig config;
  uint16_t port_id = 0;
  uint16_t rx_queues = 0;
  uint16_t tx_queues = 0;
  std::string driver;
  MacAddress mac;
  uint16_t mtu = 1500;
  bool admin_up = true;
  bool promisc = false;
  // Last polled carrier state.
  bool link_up = false;
  uint32_t speed_mbps = 0;
  bool link_full_duplex = false;
  // kind vlan: the parent port's ifindex and the VID (port_id is the parent's DPDK port).
  Ifindex parent = kNoIfindex;
  uint16_t vlan_id = 0;
};

// Ports are the first netdevs: port slot i (0-based, its place in [[port]]) has ifindex i + 1; the VLANs of
// [[vlan]] follow, VLAN v having ifindex ports + v + 1. The netdev table is in ifindex order.
inline unsigned slot_of(Ifindex ifindex) { return static_cast<unsigned>(ifindex) - 1u; }
inline Ifindex ifindex_of_slot(unsigned slot) { return static_cast<Ifindex>(slot + 1); }

}  // namespace fulcrum::netif
