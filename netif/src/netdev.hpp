#pragma once
// A netdev: anything with an ifindex that frames arrive on and leave by: a DPDK port, a bond of ports, a
// bond member, a VLAN sub-interface or a kni. The master owns this table; workers keep their own copy of
// what the packet path needs (LcoreState).

#include <cstdint>
#include <string>

#include "fulcrum/ctrl/proto/netif.hpp"
#include "fulcrum/netif/mac_address.hpp"
#include "fulcrum/netif/netif.hpp"
#include "fulcrum/netif/netif_config.hpp"
#include "lcore_state.hpp"

namespace fulcrum::netif {

struct Netdev {
  Ifindex ifindex = kNoIfindex;
  ctrl::netif_msg::LinkKind kind = ctrl::netif_msg::LinkKind::port;
  std::string name;
  PortConfig config;
  uint16_t port_id = 0;  // the DPDK port (a VLAN's: its parent's)
  uint8_t slot = kNoSlot;       // port slot; none for bond members and VLANs
  uint8_t vlan_slot = kNoSlot;  // VLANs
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
  Ifindex parent = kNoIfindex;  // VLAN and kni: the device it rides on
  Ifindex master = kNoIfindex;  // bond member: its bond
  Ifindex kni = kNoIfindex;     // port or bond: its kni
  uint16_t vlan_id = 0;
  BondMode bond_mode = BondMode::active_backup;
  XmitPolicy xmit_policy = XmitPolicy::l34;
  Ifindex bond_primary = kNoIfindex;

  bool carries_traffic() const { return slot != kNoSlot; }
};

inline const char* to_string(ctrl::netif_msg::LinkKind kind) {
  switch (kind) {
    case ctrl::netif_msg::LinkKind::port: return "port";
    case ctrl::netif_msg::LinkKind::vlan: return "vlan";
    case ctrl::netif_msg::LinkKind::bond: return "bond";
    case ctrl::netif_msg::LinkKind::kni: return "kni";
  }
  return "device";
}

}  // namespace fulcrum::netif
