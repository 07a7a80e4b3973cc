#pragma once
// Bringing a DPDK port up from its [[port]] table: create the vdev, configure its queues on the shared
// mbuf pool, start it, then apply MAC, MTU and promiscuous mode.

#include <cstdint>
#include <string>

#include <rte_mempool.h>

#include "fulcrum/netif/mac_address.hpp"
#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif {

struct OpenedPort {
  uint16_t port_id = 0;
  uint16_t rx_queues = 0;
  uint16_t tx_queues = 0;
  std::string driver;
  MacAddress mac;
  bool tx_vlan_insert = false;  // the PMD inserts 802.1Q tags from mbuf->vlan_tci
};

// Queues: rx one per worker (af_packet: every queue pair it has, since its kernel fanout feeds them all),
// tx one per worker plus the master's, unless the config says otherwise.
// VLAN strip and insert are switched on where the PMD offers them.
// Throws std::runtime_error naming the port and the vdev on any failure, after removing what it created.
OpenedPort open_port(const PortConfig& cfg, unsigned workers, rte_mempool* pool);

// Creates the device of a bond member without configuring it: the bond does that. Returns its port id;
// throws std::runtime_error as open_port.
uint16_t probe_port(const PortConfig& cfg, std::string* driver);

// af_packet joins every queue pair's socket to one PACKET_FANOUT group at probe time: the kernel feeds all of
// them, so a queue left unpolled silently loses its share of the traffic.
inline bool feeds_every_queue(const std::string& driver) { return driver == "net_af_packet"; }
void close_port(uint16_t port_id);

// Returns 0 or a negative errno, as DPDK does.
int set_port_mtu(uint16_t port_id, uint16_t mtu);
int set_port_promisc(uint16_t port_id, bool on);
// Admin state of the link; -ENOTSUP from PMDs without it is not an error (the workers stop polling anyway).
int set_port_link(uint16_t port_id, bool up);

}  // namespace fulcrum::netif
