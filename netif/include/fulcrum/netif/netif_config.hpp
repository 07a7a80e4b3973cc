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

constexpr unsigned kMaxPorts = 16;  // [[port]] tables (bond members included)
constexpr unsigned kMaxBonds = 8;
constexpr size_t kMaxNameLen = 15;  // as IFNAMSIZ - 1, so names fit the same fields as Linux interface names
constexpr uint16_t kMinMtu = 68;    // IPv4's minimum
constexpr uint16_t kMaxMtu = 9600;

struct PortConfig {
  std::string name;              // "dpdk0": the netdev name dpip shows
  std::string vdev;              // full devargs: "net_af_packet0,iface=veth1,qdisc_bypass=1"
  std::string pci;               // or a NIC's PCI address, "0000:03:00.0" (always with its domain here)
  uint16_t rx_queues = 0;        // 0: automatic (one per worker; every queue pair for af_packet)
  uint16_t tx_queues = 0;        // 0: automatic (one per worker, plus one for the master)
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  uint16_t mtu = 1500;
  std::optional<MacAddress> mac;  // nullopt: keep the PMD's
  bool promisc = false;
  bool kni = false;       // a kernel TAP for the exception path
  std::string kni_name;   // default "<name>.kni"
};

// A link aggregate of ports through DPDK's net_bonding: [[bond]]. The member ports are declared as [[port]]
// tables too (name and vdev); the bond configures them, so their own queue, MTU and MAC settings are unused.
enum class BondMode : uint8_t { round_robin = 0, active_backup = 1, balance = 2, lacp = 4 };
enum class XmitPolicy : uint8_t { l2 = 0, l23 = 1, l34 = 2 };

struct BondConfig {
  PortConfig port;  // name, queues, descriptors, MTU, MAC, promisc and kni of the bond device; vdev is built
  BondMode mode = BondMode::active_backup;
  XmitPolicy xmit_policy = XmitPolicy::l34;
  std::vector<std::string> members;  // [[port]] names
  std::string primary;               // active-backup: the preferred member; default the first
};

// Which received traffic goes straight up to the kernel through a device's kni, before any handler sees it.
struct KniRule {
  std::string dev;     // a port or bond with kni = true
  int family = 0;      // 0: any, 4 or 6 (from `dst`)
  uint8_t prefix[16] = {};
  uint8_t prefix_len = 0;
  uint8_t proto = 0;   // IP protocol number; 0: any
  uint16_t port = 0;   // TCP/UDP destination port; 0: any
};

constexpr unsigned kMaxVlans = 64;
constexpr unsigned kMaxKniRules = 32;

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
  std::vector<BondConfig> bonds;
  std::vector<VlanConfig> vlans;
  std::vector<KniRule> kni_rules;
};

// Reads [netif], every [[port]], [[bond]], [[vlan]] and [[kni_rule]]. Throws core::ConfigError naming the key, its value and what is allowed.
// With no [[port]] at all it still declares the port keys, so that --list-config-keys shows them.
NetifConfig read_netif_config(core::ConfigTable& root);

// The device name in a vdev string: the text before the first comma ("net_af_packet0").
std::string_view vdev_device_name(std::string_view vdev);
// The DPDK device name of a port: its PCI address, or its vdev's device name.
std::string_view port_device_name(const PortConfig& p);
// A PCI address as DPDK names the device, "0000:03:00.0", from "0000:03:00.0" or "03:00.0"; empty when `text`
// is not one (hex digits: a domain of 4, a bus of 2, a device of 2 up to 1f, a function 0 to 7).
std::string canonical_pci_address(std::string_view text);
// The PCI addresses of the config's ports: the devices EAL must probe (and no other).
std::vector<std::string> pci_devices(const NetifConfig& cfg);

// Validation shared by the config and `dpip vlan add`: an empty string when `name` can name a device.
std::string device_name_problem(std::string_view name);

const char* to_string(BondMode mode);
const char* to_string(XmitPolicy policy);

}  // namespace fulcrum::netif
