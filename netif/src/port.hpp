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
};

// Queues: rx one per worker (af_packet: every queue pair it has, since its kernel fanout feeds them all),
// tx one per worker plus the master's, unless the config says otherwise.
// Throws std::runtime_error naming the port and the vdev on any failure, after removing what it created.
OpenedPort open_port(const PortConfig& cfg, unsigned workers, rte_mempool* pool);
void close_port(uint16_t port_id);

// Returns 0 or a negative errno, as DPDK does.
int set_port_mtu(uint16_t port_id, uint16_t mtu);
int set_port_promisc(uint16_t port_id, bool on);
// Admin state of the link; -ENOTSUP from PMDs without it is not an error (the workers stop polling anyway).
int set_port_link(uint16_t port_id, bool up);

}  // namespace fulcrum::netif
