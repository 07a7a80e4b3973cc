#include "fulcrum/netif/netif_config.hpp"

#include <algorithm>

namespace fulcrum::netif {
namespace {

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

// Reads every key of one [[port]] without judging required ones, so that an absent table still declares the
// whole schema.
PortConfig read_port_keys(core::ConfigTable& t) {
  PortConfig p;
  p.name = t.get_string("name", "", "required: the device name dpip shows, e.g. \"dpdk0\" (1-15 of a-z A-Z 0-9 _ - .)");
  p.vdev = t.get_string("vdev", "",
                        "required: the vdev string, e.g. \"net_af_packet0,iface=veth1,qdisc_bypass=1\"; "
                        "the device name is the text before the first comma");
  p.rx_queues = static_cast<uint16_t>(t.get_int("rx_queues", 0, 0, 64,
                                                "RX queues; 0: one per worker (af_packet: every queue pair)"));
  p.tx_queues = static_cast<uint16_t>(
      t.get_int("tx_queues", 0, 0, 65, "TX queues; 0: one per worker plus one for the master"));
  p.rx_desc = static_cast<uint16_t>(t.get_int("rx_desc", 1024, 64, 4096, "descriptors per RX queue"));
  p.tx_desc = static_cast<uint16_t>(t.get_int("tx_desc", 1024, 64, 4096, "descriptors per TX queue"));
  p.mtu = static_cast<uint16_t>(t.get_int("mtu", 1500, kMinMtu, kMaxMtu, "MTU in bytes (L3)"));
  const std::string mac = t.get_string("mac", "", "the port's MAC address; empty: the PMD's own");
  if (!mac.empty()) {
    p.mac = MacAddress::parse(mac);
    if (!p.mac) t.fail("mac", "must be six hex bytes separated by ':', e.g. \"02:00:c6:12:00:01\"");
    if (p.mac->is_group()) t.fail("mac", "must be a unicast address (the lowest bit of the first byte clear)");
    if (p.mac->is_zero()) t.fail("mac", "must not be all zeros");
  }
  p.promisc = t.get_bool("promisc", false, "accept frames addressed to other hosts");
  return p;
}

void validate_port(core::ConfigTable& t, const PortConfig& p, const std::vector<PortConfig>& earlier) {
  if (!t.has("name")) t.fail("name", "is required (a string)");
  if (p.name.empty() || p.name.size() > kMaxNameLen ||
      !std::all_of(p.name.begin(), p.name.end(), valid_name_char)) {
    t.fail("name", "must be 1 to 15 characters of a-z A-Z 0-9 _ - .");
  }
  if (!t.has("vdev")) t.fail("vdev", "is required (a string)");
  if (vdev_device_name(p.vdev).empty()) {
    t.fail("vdev", "must start with a device name, e.g. \"net_af_packet0,iface=veth1\"");
  }
  for (size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].name == p.name) t.fail("name", "must be unique: port[" + std::to_string(i) + "] has it too");
    if (vdev_device_name(earlier[i].vdev) == vdev_device_name(p.vdev)) {
      t.fail("vdev", "must name a device of its own: port[" + std::to_string(i) + "] creates \"" +
                         std::string(vdev_device_name(p.vdev)) + "\" too");
    }
  }
}

VlanConfig read_vlan_keys(core::ConfigTable& t) {
  VlanConfig v;
  v.parent = t.get_string("parent", "", "required: the [[port]] name the VLAN rides on, e.g. \"dpdk0\"");
  v.id = static_cast<uint16_t>(t.get_int("id", 0, 0, 4094, "required: the 802.1Q VLAN id, 1 to 4094"));
  v.name = t.get_string("name", "", "the device name dpip shows; empty: \"<parent>.<id>\"");
  const std::string mac = t.get_string("mac", "", "the VLAN's MAC address; empty: the parent's");
  if (!mac.empty()) {
    v.mac = MacAddress::parse(mac);
    if (!v.mac) t.fail("mac", "must be six hex bytes separated by ':', e.g. \"02:00:c6:12:00:01\"");
    if (v.mac->is_group()) t.fail("mac", "must be a unicast address (the lowest bit of the first byte clear)");
    if (v.mac->is_zero()) t.fail("mac", "must not be all zeros");
  }
  return v;
}

void validate_vlan(core::ConfigTable& t, VlanConfig& v, const NetifConfig& cfg) {
  if (!t.has("parent")) t.fail("parent", "is required (a [[port]] name)");
  if (std::none_of(cfg.ports.begin(), cfg.ports.end(), [&](const PortConfig& p) { return p.name == v.parent; })) {
    t.fail("parent", "must name a [[port]]");
  }
  if (!t.has("id")) t.fail("id", "is required (1 to 4094)");
  if (v.id < 1 || v.id > 4094) t.fail("id", "must be 1 to 4094");
  if (v.name.empty()) v.name = v.parent + "." + std::to_string(v.id);
  if (v.name.size() > kMaxNameLen || !std::all_of(v.name.begin(), v.name.end(), valid_name_char)) {
    t.fail("name", "must be 1 to 15 characters of a-z A-Z 0-9 _ - . (default \"<parent>.<id>\" is too long)");
  }
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    if (cfg.ports[i].name == v.name) t.fail("name", "must be unique: port[" + std::to_string(i) + "] has it");
  }
  for (size_t i = 0; i < cfg.vlans.size(); ++i) {
    if (cfg.vlans[i].name == v.name) t.fail("name", "must be unique: vlan[" + std::to_string(i) + "] has it too");
    if (cfg.vlans[i].parent == v.parent && cfg.vlans[i].id == v.id) {
      t.fail("id", "must be unique per parent: vlan[" + std::to_string(i) + "] is " + v.parent + " id " +
                       std::to_string(v.id) + " too");
    }
  }
}

}  // namespace

std::string_view vdev_device_name(std::string_view vdev) { return vdev.substr(0, vdev.find(',')); }

NetifConfig read_netif_config(core::ConfigTable& root) {
  NetifConfig cfg;
  core::ConfigTable netif = root.table("netif", "the netif layer: mbuf pool and link polling");
  cfg.mbufs = static_cast<uint32_t>(netif.get_int("mbufs", cfg.mbufs, 1023, 4194303,
                                                  "mbufs in the packet pool shared by every port"));
  cfg.mbuf_cache = static_cast<uint32_t>(
      netif.get_int("mbuf_cache", cfg.mbuf_cache, 0, 512, "per-lcore cache of the packet pool"));
  cfg.link_poll_ms = static_cast<uint32_t>(
      netif.get_int("link_poll_ms", cfg.link_poll_ms, 10, 60000, "how often the master polls link state"));

  auto ports = root.tables("port", "a DPDK port: [[port]] per port");
  if (ports.empty()) {
    // An absent table (the literal key "port[]" never matches a TOML key) declares the schema only.
    core::ConfigTable schema_only = root.table("port[]", "");
    (void)read_port_keys(schema_only);
  }
  if (ports.size() > kMaxPorts) root.fail("port", "at most " + std::to_string(kMaxPorts) + " ports");
  for (size_t i = 0; i < ports.size(); ++i) {
    PortConfig p = read_port_keys(ports[i]);
    validate_port(ports[i], p, cfg.ports);
    cfg.ports.push_back(std::move(p));
  }

  auto vlans = root.tables("vlan", "an 802.1Q VLAN sub-interface of a port: [[vlan]] per VLAN");
  if (vlans.empty()) {
    core::ConfigTable schema_only = root.table("vlan[]", "");
    (void)read_vlan_keys(schema_only);
  }
  if (vlans.size() > kMaxVlans) root.fail("vlan", "at most " + std::to_string(kMaxVlans) + " VLANs");
  for (auto& t : vlans) {
    VlanConfig v = read_vlan_keys(t);
    validate_vlan(t, v, cfg);
    cfg.vlans.push_back(std::move(v));
  }
  return cfg;
}

}  // namespace fulcrum::netif
