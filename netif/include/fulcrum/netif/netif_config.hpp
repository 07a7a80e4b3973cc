#pragma once
// The netif layer's configuration: [netif] (the mbuf pool, link polling) and one [[port]] table per DPDK
// port. Everything that can be checked without EAL is checked here, so that `fulcrumd --check` catches it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/netif/mac_address.hpp"

namespace fulcrum::netif {

constexpr unsigned kMaxPorts = 16;
constexpr size_t kMaxNameLen = 15;  // as IFNAMSIZ - 1, so names fit the same fields as Linux interface names
constexpr uint16_t kMinMtu = 68;    // IPv4's minimum
constexpr uint16_t kMaxMtu = 9600;

struct PortConfig {
  std::string name;              // "dpdk0": the netdev name dpip shows
  std::string vdev;              // full devargs: "net_af_packet0,iface=veth1,qdisc_bypass=1"
  uint16_t rx_queues = 0;        // 0: automatic (one per worker; every queue pair for af_packet)
  uint16_t tx_queues = 0;        // 0: automatic (one per worker, plus one for the master)
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  uint16_t mtu = 1500;
  std::optional<MacAddress> mac;  // nullopt: keep the PMD's
  bool promisc = false;
};

constexpr unsigned kMaxVlans = 64;

// An 802.1Q sub-interface of a port: [[vlan]].
struct VlanConfig {
  std::string name;               // default "<parent>.<id>"
  std::string parent;             // a [[port]] name
  uint16_t id = 0;                // 1-4094
  std::optional<MacAddress> mac;  // nullopt: the parent's
};

struct NetifConfig {
  uint32_t mbufs = 16383;      // a power of two minus one is what rte_mempool sizes best
  uint32_t mbuf_cache = 256;   // per-lcore cache of the pool
  uint32_t link_poll_ms = 1000;
  std::vector<PortConfig> ports;
  std::vector<VlanConfig> vlans;
};

// Reads [netif], every [[port]] and every [[vlan]]. Throws core::ConfigError naming the key, its value and what is allowed.
// With no [[port]] at all it still declares the port keys, so that --list-config-keys shows them.
NetifConfig read_netif_config(core::ConfigTable& root);

// The device name in a vdev string: the text before the first comma ("net_af_packet0").
std::string_view vdev_device_name(std::string_view vdev);

}  // namespace fulcrum::netif
