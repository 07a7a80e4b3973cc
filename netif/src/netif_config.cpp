#include "fulcrum/netif/netif_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <arpa/inet.h>

namespace fulcrum::netif {
namespace {

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

std::optional<MacAddress> read_mac(core::ConfigTable& t, std::string_view key, std::string_view help) {
  const std::string text = t.get_string(key, "", help);
  if (text.empty()) return std::nullopt;
  const auto mac = MacAddress::parse(text);
  if (!mac) t.fail(key, "must be six hex bytes separated by ':', e.g. \"02:00:c6:12:00:01\"");
  if (mac->is_group()) t.fail(key, "must be a unicast address (the lowest bit of the first byte clear)");
  if (mac->is_zero()) t.fail(key, "must not be all zeros");
  return mac;
}

// Reads every key of one [[port]] without judging required ones, so that an absent table still declares the
// whole schema.
PortConfig read_port_keys(core::ConfigTable& t) {
  PortConfig p;
  p.name = t.get_string("name", "", "required: the device name dpip shows, e.g. \"dpdk0\" (1-15 of a-z A-Z 0-9 _ - .)");
  p.vdev = t.get_string("vdev", "",
                        "the vdev string, e.g. \"net_af_packet0,iface=veth1,qdisc_bypass=1\" (or pci); "
                        "the device name is the text before the first comma");
  p.pci = t.get_string("pci", "",
                       "a NIC bound to vfio-pci or uio_pci_generic by its PCI address, e.g. \"0000:03:00.0\" "
                       "(or vdev)");
  p.rx_queues = static_cast<uint16_t>(t.get_int("rx_queues", 0, 0, 64,
                                                "RX queues; 0: one per worker (af_packet: every queue pair)"));
  p.tx_queues = static_cast<uint16_t>(
      t.get_int("tx_queues", 0, 0, 65, "TX queues; 0: one per worker plus one for the master"));
  p.rx_desc = static_cast<uint16_t>(t.get_int("rx_desc", 1024, 64, 4096, "descriptors per RX queue"));
  p.tx_desc = static_cast<uint16_t>(t.get_int("tx_desc", 1024, 64, 4096, "descriptors per TX queue"));
  p.mtu = static_cast<uint16_t>(t.get_int("mtu", 1500, kMinMtu, kMaxMtu, "MTU in bytes (L3)"));
  p.mac = read_mac(t, "mac", "the port's MAC address; empty: the PMD's own");
  p.promisc = t.get_bool("promisc", false, "accept frames addressed to other hosts");
  p.kni = t.get_bool("kni", false, "create a kernel TAP (the kni) for traffic the dataplane does not consume");
  p.kni_name = t.get_string("kni_name", "", "the kni's kernel interface name; empty: \"<name>.kni\"");
  return p;
}

void validate_kni(core::ConfigTable& t, PortConfig& p) {
  if (p.kni_name.empty()) p.kni_name = p.name + ".kni";
  if (!device_name_problem(p.kni_name).empty()) {
    t.fail(t.has("kni_name") ? "kni_name" : "name",
           "must give a kni name of 1 to 15 characters of a-z A-Z 0-9 _ - . (the default \"<name>.kni\" is too "
           "long: set kni_name)");
  }
}

// Normalises `pci` in place; the raw text stays in the error.
void read_pci(core::ConfigTable& t, PortConfig& p) {
  if (!t.has("pci")) return;
  const std::string canonical = canonical_pci_address(p.pci);
  if (canonical.empty()) {
    t.fail("pci", "must be a PCI address, domain:bus:device.function or bus:device.function in hex, e.g. "
                  "\"0000:03:00.0\" (lspci -D, dpdk-devbind.py --status)");
  }
  p.pci = canonical;
}

void validate_port(core::ConfigTable& t, PortConfig& p, const std::vector<PortConfig>& earlier) {
  if (!t.has("name")) t.fail("name", "is required (a string)");
  if (const std::string problem = device_name_problem(p.name); !problem.empty()) t.fail("name", problem);
  if (t.has("vdev") == t.has("pci")) {
    t.fail(t.has("pci") ? "pci" : "vdev", "a port is either a vdev string or a PCI address: exactly one of the two");
  }
  const char* key = t.has("pci") ? "pci" : "vdev";
  read_pci(t, p);
  if (t.has("vdev") && vdev_device_name(p.vdev).empty()) {
    t.fail("vdev", "must start with a device name, e.g. \"net_af_packet0,iface=veth1\"");
  }
  for (size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].name == p.name) t.fail("name", "must be unique: port[" + std::to_string(i) + "] has it too");
    if (port_device_name(earlier[i]) == port_device_name(p)) {
      t.fail(key, "must name a device of its own: port[" + std::to_string(i) + "] takes \"" +
                      std::string(port_device_name(p)) + "\" too");
    }
  }
}


VlanConfig read_vlan_keys(core::ConfigTable& t) {
  VlanConfig v;
  v.parent = t.get_string("parent", "", "required: the [[port]] name the VLAN rides on, e.g. \"dpdk0\"");
  v.id = static_cast<uint16_t>(t.get_int("id", 0, 0, 4094, "required: the 802.1Q VLAN id, 1 to 4094"));
  v.name = t.get_string("name", "", "the device name dpip shows; empty: \"<parent>.<id>\"");
  v.mac = read_mac(t, "mac", "the VLAN's MAC address; empty: the parent's");
  return v;
}

bool is_member(const NetifConfig& cfg, std::string_view port) {
  for (const auto& b : cfg.bonds) {
    if (std::find(b.members.begin(), b.members.end(), port) != b.members.end()) return true;
  }
  return false;
}

// Where a name is already taken among ports, bonds and VLANs: "port[1]", or empty.
std::string owner_of_name(const NetifConfig& cfg, std::string_view name) {
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    if (cfg.ports[i].name == name) return "port[" + std::to_string(i) + "]";
  }
  for (size_t i = 0; i < cfg.bonds.size(); ++i) {
    if (cfg.bonds[i].port.name == name) return "bond[" + std::to_string(i) + "]";
  }
  for (size_t i = 0; i < cfg.vlans.size(); ++i) {
    if (cfg.vlans[i].name == name) return "vlan[" + std::to_string(i) + "]";
  }
  return {};
}

// A device that frames arrive on and VLANs and knis hang off: a port that is no bond member, or a bond.
bool is_l2_device(const NetifConfig& cfg, std::string_view name) {
  const bool port = std::any_of(cfg.ports.begin(), cfg.ports.end(), [&](const PortConfig& p) { return p.name == name; });
  const bool bond =
      std::any_of(cfg.bonds.begin(), cfg.bonds.end(), [&](const BondConfig& b) { return b.port.name == name; });
  return (port && !is_member(cfg, name)) || bond;
}

void validate_vlan(core::ConfigTable& t, VlanConfig& v, const NetifConfig& cfg) {
  if (!t.has("parent")) t.fail("parent", "is required (a [[port]] or [[bond]] name)");
  if (!is_l2_device(cfg, v.parent)) t.fail("parent", "must name a [[port]] that is no bond member, or a [[bond]]");
  if (!t.has("id")) t.fail("id", "is required (1 to 4094)");
  if (v.id < 1 || v.id > 4094) t.fail("id", "must be 1 to 4094");
  if (v.name.empty()) v.name = v.parent + "." + std::to_string(v.id);
  if (!device_name_problem(v.name).empty()) {
    t.fail("name", "must be 1 to 15 characters of a-z A-Z 0-9 _ - . (default \"<parent>.<id>\" is too long)");
  }
  if (const std::string owner = owner_of_name(cfg, v.name); !owner.empty()) {
    t.fail("name", "must be unique: " + owner + " has it too");
  }
  for (size_t i = 0; i < cfg.vlans.size(); ++i) {
    if (cfg.vlans[i].parent == v.parent && cfg.vlans[i].id == v.id) {
      t.fail("id", "must be unique per parent: vlan[" + std::to_string(i) + "] is " + v.parent + " id " +
                       std::to_string(v.id) + " too");
    }
  }
}

BondConfig read_bond_keys(core::ConfigTable& t) {
  BondConfig b;
  b.port.name = t.get_string("name", "", "required: the bond's device name, e.g. \"bond0\"");
  const int64_t mode = t.get_int("mode", 1, 0, 4,
                                 "0 round-robin, 1 active-backup, 2 balance-xor (by xmit_policy), 4 802.3ad (LACP)");
  if (mode == 3) t.fail("mode", "must be 0, 1, 2 or 4 (3, broadcast, is not supported)");
  b.mode = static_cast<BondMode>(mode);
  const std::string policy =
      t.get_enum("xmit_policy", "l34", {"l2", "l23", "l34"}, "transmit hash of modes 2 and 4: MACs, +IPs, +ports");
  b.xmit_policy = policy == "l2" ? XmitPolicy::l2 : policy == "l23" ? XmitPolicy::l23 : XmitPolicy::l34;
  b.members = t.get_string_array("members", {}, "required: the member [[port]] names, at least two");
  b.primary = t.get_string("primary", "", "active-backup: the member used while its link is up; empty: the first");
  b.port.rx_queues = static_cast<uint16_t>(t.get_int("rx_queues", 0, 0, 64, "RX queues; 0: as for a port"));
  b.port.tx_queues = static_cast<uint16_t>(t.get_int("tx_queues", 0, 0, 65, "TX queues; 0: as for a port"));
  b.port.rx_desc = static_cast<uint16_t>(t.get_int("rx_desc", 1024, 64, 4096, "descriptors per RX queue"));
  b.port.tx_desc = static_cast<uint16_t>(t.get_int("tx_desc", 1024, 64, 4096, "descriptors per TX queue"));
  b.port.mtu = static_cast<uint16_t>(t.get_int("mtu", 1500, kMinMtu, kMaxMtu, "MTU in bytes (L3)"));
  b.port.mac = read_mac(t, "mac", "the bond's MAC address; empty: the primary member's");
  b.port.promisc = t.get_bool("promisc", false, "accept frames addressed to other hosts");
  b.port.kni = t.get_bool("kni", false, "create a kernel TAP (the kni) for the bond");
  b.port.kni_name = t.get_string("kni_name", "", "the kni's kernel interface name; empty: \"<name>.kni\"");
  return b;
}

void validate_bond(core::ConfigTable& t, BondConfig& b, const NetifConfig& cfg, size_t index) {
  if (!t.has("name")) t.fail("name", "is required (a string)");
  if (const std::string problem = device_name_problem(b.port.name); !problem.empty()) t.fail("name", problem);
  if (const std::string owner = owner_of_name(cfg, b.port.name); !owner.empty()) {
    t.fail("name", "must be unique: " + owner + " has it too");
  }
  if (b.members.size() < 2) t.fail("members", "must list at least two [[port]] names");
  for (size_t i = 0; i < b.members.size(); ++i) {
    const std::string& m = b.members[i];
    if (std::none_of(cfg.ports.begin(), cfg.ports.end(), [&](const PortConfig& p) { return p.name == m; })) {
      t.fail("members", i, "must name a [[port]]");
    }
    if (std::count(b.members.begin(), b.members.end(), m) > 1) t.fail("members", i, "must not repeat a member");
    if (is_member(cfg, m)) t.fail("members", i, "is a member of an earlier bond already");
    for (const auto& p : cfg.ports) {
      if (p.name == m && p.kni) t.fail("members", i, "has kni = true: a member carries no traffic of its own");
    }
  }
  if (b.primary.empty()) b.primary = b.members.front();
  if (std::find(b.members.begin(), b.members.end(), b.primary) == b.members.end()) {
    t.fail("primary", "must be one of the members");
  }
  // The vdev that creates the bond: its members by their DPDK device names.
  std::string vdev = "net_bonding" + std::to_string(index) + ",mode=" + std::to_string(static_cast<int>(b.mode));
  for (const auto& m : b.members) {
    for (const auto& p : cfg.ports) {
      if (p.name != m) continue;
      vdev += ",slave=" + std::string(port_device_name(p));
      if (m == b.primary) vdev += ",primary=" + std::string(port_device_name(p));
    }
  }
  if (b.mode == BondMode::balance || b.mode == BondMode::lacp) {
    vdev += std::string(",xmit_policy=") + to_string(b.xmit_policy);
  }
  b.port.vdev = vdev;
  if (b.port.kni) validate_kni(t, b.port);
}

bool parse_prefix(std::string_view text, KniRule& r) {
  const size_t slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  const int family = addr.find(':') != std::string::npos ? 6 : 4;
  if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr.c_str(), r.prefix) != 1) return false;
  const int max = family == 4 ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    const std::string digits(text.substr(slash + 1));
    if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return false;
    len = std::stoi(digits);
    if (len > max) return false;
  }
  r.family = family;
  r.prefix_len = static_cast<uint8_t>(len);
  return true;
}

struct KniRuleText {
  KniRule rule;
  std::string dst;
  std::string proto;
};

KniRuleText read_kni_rule_keys(core::ConfigTable& t) {
  KniRuleText k;
  k.rule.dev = t.get_string("dev", "", "required: the [[port]] or [[bond]] (with kni = true) whose traffic it matches");
  k.dst = t.get_string("dst", "", "destination prefix, IPv4 or IPv6 (\"198.18.0.1/32\"); empty: any");
  k.proto = t.get_enum("proto", "any", {"any", "tcp", "udp", "icmp", "icmpv6", "sctp"}, "IP protocol; any: every one");
  k.rule.port = static_cast<uint16_t>(t.get_int("port", 0, 0, 65535, "TCP/UDP/SCTP destination port; 0: any"));
  return k;
}

KniRule validate_kni_rule(core::ConfigTable& t, KniRuleText k, const NetifConfig& cfg) {
  KniRule& r = k.rule;
  const std::string& dst = k.dst;
  const std::string& proto = k.proto;
  if (!t.has("dev")) t.fail("dev", "is required (a [[port]] or [[bond]] name)");
  bool has_kni = false;
  for (const auto& p : cfg.ports) has_kni |= p.name == r.dev && p.kni;
  for (const auto& b : cfg.bonds) has_kni |= b.port.name == r.dev && b.port.kni;
  if (!has_kni) t.fail("dev", "must name a [[port]] or [[bond]] that has kni = true");
  if (!dst.empty() && !parse_prefix(dst, r)) {
    t.fail("dst", "must be an IPv4 or IPv6 address with an optional /length, e.g. \"198.18.0.1/32\"");
  }
  static const std::pair<const char*, uint8_t> kProtos[] = {
      {"any", 0}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"sctp", 132}};
  for (const auto& [name, number] : kProtos) {
    if (proto == name) r.proto = number;
  }
  if (r.port != 0 && r.proto != 6 && r.proto != 17 && r.proto != 132) {
    t.fail("port", "needs proto = \"tcp\", \"udp\" or \"sctp\"");
  }
  if ((r.proto == 1 && r.family == 6) || (r.proto == 58 && r.family == 4)) {
    t.fail("proto", "does not go with the family of dst");
  }
  return r;
}

}  // namespace

std::string_view vdev_device_name(std::string_view vdev) { return vdev.substr(0, vdev.find(',')); }

std::string_view port_device_name(const PortConfig& p) {
  return p.pci.empty() ? vdev_device_name(p.vdev) : std::string_view(p.pci);
}

std::string canonical_pci_address(std::string_view text) {
  // domain (4 hex, optional), bus (2), device (2, at most 0x1f), function (1, at most 7)
  auto hex = [](std::string_view s, unsigned* v) {
    *v = 0;
    for (char c : s) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      const char lc = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      *v = *v * 16 + static_cast<unsigned>(lc <= '9' ? lc - '0' : lc - 'a' + 10);
    }
    return !s.empty();
  };
  std::string_view domain = "0000";
  const size_t colons = static_cast<size_t>(std::count(text.begin(), text.end(), ':'));
  if (colons == 2) {
    domain = text.substr(0, text.find(':'));
    text.remove_prefix(domain.size() + 1);
  } else if (colons != 1) {
    return {};
  }
  const size_t colon = text.find(':');
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot < colon) return {};
  const std::string_view bus = text.substr(0, colon), dev = text.substr(colon + 1, dot - colon - 1),
                         fn = text.substr(dot + 1);
  unsigned d = 0, b = 0, v = 0, f = 0;
  if (domain.size() != 4 || bus.size() != 2 || dev.size() != 2 || fn.size() != 1 || !hex(domain, &d) ||
      !hex(bus, &b) || !hex(dev, &v) || !hex(fn, &f) || v > 0x1f || f > 7) {
    return {};
  }
  char out[16];
  std::snprintf(out, sizeof out, "%04x:%02x:%02x.%x", d, b, v, f);
  return out;
}

std::vector<std::string> pci_devices(const NetifConfig& cfg) {
  std::vector<std::string> out;
  for (const PortConfig& p : cfg.ports) {
    if (!p.pci.empty()) out.push_back(p.pci);
  }
  return out;
}

std::string device_name_problem(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen || !std::all_of(name.begin(), name.end(), valid_name_char)) {
    return "must be 1 to 15 characters of a-z A-Z 0-9 _ - .";
  }
  return {};
}

const char* to_string(BondMode mode) {
  switch (mode) {
    case BondMode::round_robin: return "round-robin";
    case BondMode::active_backup: return "active-backup";
    case BondMode::balance: return "balance-xor";
    case BondMode::lacp: return "802.3ad";
  }
  return "?";
}

const char* to_string(XmitPolicy policy) {
  switch (policy) {
    case XmitPolicy::l2: return "l2";
    case XmitPolicy::l23: return "l23";
    case XmitPolicy::l34: return "l34";
  }
  return "?";
}

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
    if (p.kni) validate_kni(ports[i], p);
    cfg.ports.push_back(std::move(p));
  }

  auto bonds = root.tables("bond", "a bond of ports through net_bonding: [[bond]] per bond");
  if (bonds.empty()) {
    core::ConfigTable schema_only = root.table("bond[]", "");
    (void)read_bond_keys(schema_only);
  }
  if (bonds.size() > kMaxBonds) root.fail("bond", "at most " + std::to_string(kMaxBonds) + " bonds");
  for (size_t i = 0; i < bonds.size(); ++i) {
    BondConfig b = read_bond_keys(bonds[i]);
    validate_bond(bonds[i], b, cfg, i);
    cfg.bonds.push_back(std::move(b));
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

  auto rules = root.tables("kni_rule", "traffic sent straight up a kni: [[kni_rule]] per rule");
  if (rules.empty()) {
    core::ConfigTable schema_only = root.table("kni_rule[]", "");
    (void)read_kni_rule_keys(schema_only);
  }
  if (rules.size() > kMaxKniRules) root.fail("kni_rule", "at most " + std::to_string(kMaxKniRules) + " rules");
  for (auto& t : rules) cfg.kni_rules.push_back(validate_kni_rule(t, read_kni_rule_keys(t), cfg));
  return cfg;
}

}  // namespace fulcrum::netif
