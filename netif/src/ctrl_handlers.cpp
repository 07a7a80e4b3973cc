#include "ctrl_handlers.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <rte_ethdev.h>

#include "fulcrum/ctrl/proto/netif.hpp"
#include "netif_log.hpp"
#include "port.hpp"

namespace fulcrum::netif {
namespace {

namespace msg = ctrl::netif_msg;

std::string name_of(const char (&field)[msg::kNameSize]) { return std::string(field, strnlen(field, sizeof field)); }

int no_such_device(ctrl::Response& out, const std::string& name) {
  out.message("cannot find device \"" + name + "\"");
  return ENODEV;
}

msg::LinkInfo link_info(const Dataplane& dp, const Netdev& d) {
  msg::LinkInfo li{};
  li.ifindex = d.ifindex;
  li.port_id = d.port_id;
  li.mtu = d.mtu;
  std::strncpy(li.name, d.name.c_str(), sizeof li.name - 1);
  std::memcpy(li.mac, d.mac.bytes.data(), sizeof li.mac);
  li.kind = static_cast<uint8_t>(d.kind);
  li.admin_up = d.admin_up;
  li.link_up = d.link_up;
  li.promisc = d.promisc;
  li.rx_queues = d.rx_queues;
  li.tx_queues = d.tx_queues;
  li.speed_mbps = d.speed_mbps;
  std::strncpy(li.driver, d.driver.c_str(), sizeof li.driver - 1);
  li.vlan_id = d.vlan_id;
  li.parent_ifindex = d.parent;
  li.master_ifindex = d.master;
  if (d.kind == msg::LinkKind::bond) {
    li.bond_mode = static_cast<uint8_t>(d.bond_mode);
    li.bond_xmit_policy = static_cast<uint8_t>(d.xmit_policy);
    li.bond_primary_ifindex = d.bond_primary;
    li.bond_active_ifindex = bond_active_member(dp, d);
  }
  if (d.kind == msg::LinkKind::vlan) {  // carrier and MTU are the parent's
    const Netdev* parent = dp.get(d.parent);
    li.link_up = parent != nullptr && parent->link_up;
    li.mtu = parent != nullptr ? parent->mtu : d.mtu;
  }
  return li;
}

// A VLAN's counters: every lcore's share, no queues and no PMD counters of its own.
void collect_vlan(const Dataplane& dp, const Netdev& d, msg::LinkStats& total) {
  total.ifindex = d.ifindex;
  for (const auto& st : dp.lcores()) {
    {
      const auto& v = st->vlans[d.vlan_slot];
      if (!v.present || v.ifindex != d.ifindex) continue;
      total.rx_packets += v.rx.packets.get();
      total.rx_bytes += v.rx.bytes.get();
      total.tx_packets += v.tx.packets.get();
      total.tx_bytes += v.tx.bytes.get();
      for (unsigned r = 0; r < kDropSlots; ++r) total.drops[r] += v.rx.drops[r].get() + v.tx.drops[r].get();
    }
  }
}

void add_queue(msg::QueueStats& q, const QueueCounters& c) {
  q.packets = c.packets.get();
  q.bytes = c.bytes.get();
  for (unsigned r = 0; r < kDropSlots; ++r) q.drops[r] = c.drops[r].get();
}

// Sums what every lcore counted for one link; the PMD's own counters come from rte_eth_stats. A bond
// member carries no traffic of ours: it has the PMD's counters only.
void collect(const Dataplane& dp, const Netdev& d, msg::LinkStats& total, std::vector<msg::QueueStats>& queues) {
  total.ifindex = d.ifindex;
  const unsigned slot = d.slot;
  for (const auto& st : dp.lcores()) {
    if (slot == kNoSlot) break;
    for (unsigned i = 0; i < st->rx_count; ++i) {
      const OwnedRxQueue& rq = st->rx[i];
      if (rq.slot != slot) continue;
      msg::QueueStats q{};
      q.ifindex = d.ifindex;
      q.queue = rq.queue;
      q.direction = static_cast<uint8_t>(msg::Direction::rx);
      q.lcore = st->lcore;
      add_queue(q, rq.counters);
      queues.push_back(q);
    }
    const TxPort& tx = st->tx[slot];
    if (tx.present) {
      msg::QueueStats q{};
      q.ifindex = d.ifindex;
      q.queue = tx.queue;
      q.direction = static_cast<uint8_t>(msg::Direction::tx);
      q.lcore = st->lcore;
      add_queue(q, tx.counters);
      queues.push_back(q);
    }
  }
  for (const auto& q : queues) {
    if (q.ifindex != d.ifindex) continue;
    if (q.direction == static_cast<uint8_t>(msg::Direction::rx)) {
      total.rx_packets += q.packets;
      total.rx_bytes += q.bytes;
    } else {
      total.tx_packets += q.packets;
      total.tx_bytes += q.bytes;
    }
    for (unsigned r = 0; r < kDropSlots; ++r) total.drops[r] += q.drops[r];
  }
  rte_eth_stats pmd{};
  if (rte_eth_stats_get(d.port_id, &pmd) == 0) {
    total.pmd_ipackets = pmd.ipackets;
    total.pmd_opackets = pmd.opackets;
    total.pmd_imissed = pmd.imissed;
    total.pmd_ierrors = pmd.ierrors;
    total.pmd_oerrors = pmd.oerrors;
    total.pmd_rx_nombuf = pmd.rx_nombuf;
    if (slot == kNoSlot) {  // a bond member: what the bond moved through it is all there is to count
      total.rx_packets = pmd.ipackets;
      total.rx_bytes = pmd.ibytes;
      total.tx_packets = pmd.opackets;
      total.tx_bytes = pmd.obytes;
    }
  }
}

template <class T>
void append(std::vector<unsigned char>& out, const T* items, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(items);
  out.insert(out.end(), p, p + n * sizeof(T));
}

int get_links(const Dataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
  msg::LinkQuery query;
  std::memcpy(&query, in.payload.data(), sizeof query);
  const std::string name = name_of(query.name);
  std::vector<const Netdev*> chosen;
  for (const auto& [ifindex, d] : dp.netdevs()) {
    if (name.empty() || d.name == name) chosen.push_back(&d);
  }
  if (!name.empty() && chosen.empty()) return no_such_device(out, name);

  std::vector<msg::LinkInfo> infos;
  std::vector<msg::LinkStats> stats;
  std::vector<msg::QueueStats> queues;
  for (const Netdev* d : chosen) {
    infos.push_back(link_info(dp, *d));
    if (query.with_stats) {
      msg::LinkStats s{};
      if (d->kind == msg::LinkKind::vlan) {
        collect_vlan(dp, *d, s);
      } else {
        collect(dp, *d, s, queues);
      }
      stats.push_back(s);
    }
  }
  msg::LinkListHead head{};
  head.version = msg::kLinkListVersion;
  head.link_count = static_cast<uint32_t>(infos.size());
  head.queue_count = static_cast<uint32_t>(queues.size());
  append(out.payload, &head, 1);
  append(out.payload, infos.data(), infos.size());
  append(out.payload, stats.data(), stats.size());
  append(out.payload, queues.data(), queues.size());
  return 0;
}

int set_link(Dataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
  msg::LinkSet req;
  std::memcpy(&req, in.payload.data(), sizeof req);
  const std::string name = name_of(req.name);
  Netdev* d = dp.find(name);
  if (d == nullptr) return no_such_device(out, name);
  if (d->master != kNoIfindex) {
    out.message(name + " is a member of " + dp.get(d->master)->name + ": set the bond instead");
    return EOPNOTSUPP;
  }
  if ((d->kind == msg::LinkKind::vlan || d->kind == msg::LinkKind::kni) &&
      (req.mask & (msg::set_mtu | msg::set_promisc))) {
    out.message(name + " is a " + to_string(d->kind) +
                ": only up and down can be set on it (mtu and promisc are its parent's)");
    return EOPNOTSUPP;
  }

  if (req.mask & msg::set_mtu) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(d->port_id, &info);
    const uint32_t lo = std::max<uint32_t>(kMinMtu, info.min_mtu);
    const uint32_t hi = std::min<uint32_t>(kMaxMtu, info.max_mtu);
    if (req.mtu < lo || req.mtu > hi) {
      out.message("mtu " + std::to_string(req.mtu) + " is out of range for " + name + ": allowed " +
                  std::to_string(lo) + " to " + std::to_string(hi));
      return EINVAL;
    }
    if (const int rc = set_port_mtu(d->port_id, static_cast<uint16_t>(req.mtu)); rc != 0) {
      out.message("mtu " + std::to_string(req.mtu) + " on " + name + ": " + std::strerror(-rc));
      return -rc;
    }
    d->mtu = static_cast<uint16_t>(req.mtu);
    FLOG(g_log, INFO, "%s: mtu %u", name.c_str(), d->mtu);
    if (d->kni != kNoIfindex) {
      // The kernel's view must agree, or it sends frames the port would refuse.
      Netdev* kni = dp.find_mutable(d->kni);
      if (kni != nullptr && set_port_mtu(kni->port_id, d->mtu) == 0) kni->mtu = d->mtu;
    }
  }
  if (req.mask & msg::set_promisc) {
    if (const int rc = set_port_promisc(d->port_id, req.promisc != 0); rc != 0 && rc != -ENOTSUP) {
      out.message("promisc on " + name + ": " + std::strerror(-rc));
      return -rc;
    }
    d->promisc = req.promisc != 0;
    FLOG(g_log, INFO, "%s: promisc %s", name.c_str(), d->promisc ? "on" : "off");
  }
  if (req.mask & msg::set_admin) {
    const bool up = req.admin_up != 0;
    // Up: the link first, then the workers poll. Down: the workers stop first, then the link goes.
    const bool has_link = d->kind == msg::LinkKind::port || d->kind == msg::LinkKind::bond;
    if (up && has_link) {
      if (const int rc = set_port_link(d->port_id, true); rc != 0) {
        out.message(name + " up: " + std::strerror(-rc));
        return -rc;
      }
    }
    d->admin_up = up;
    std::string error;
    if (const int rc = dp.push_port_state(*d, &error); rc != 0) {
      out.message(name + ": workers did not take the change: " + error);
      return rc;
    }
    if (!up && has_link) set_port_link(d->port_id, false);
    FLOG(g_log, INFO, "%s: admin %s", name.c_str(), up ? "up" : "down");
    return 0;
  }
  std::string error;
  if (const int rc = dp.push_port_state(*d, &error); rc != 0) {
    out.message(name + ": workers did not take the change: " + error);
    return rc;
  }
  return 0;
}

int add_vlan(Dataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
  msg::VlanAdd req;
  std::memcpy(&req, in.payload.data(), sizeof req);
  VlanConfig vc;
  vc.name = name_of(req.name);
  vc.parent = name_of(req.parent);
  vc.id = req.vlan_id;
  if (req.has_mac) {
    MacAddress mac;
    std::memcpy(mac.bytes.data(), req.mac, sizeof req.mac);
    if (mac.is_group() || mac.is_zero()) {
      out.message("address " + mac.to_string() + " must be a unicast MAC address");
      return EINVAL;
    }
    vc.mac = mac;
  }
  std::string error;
  const int rc = dp.add_vlan(vc, &error);
  if (rc != 0) out.message(error);
  return rc;
}

int del_vlan(Dataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
  msg::VlanDel req;
  std::memcpy(&req, in.payload.data(), sizeof req);
  std::string error;
  const int rc = dp.del_vlan(name_of(req.name), &error);
  if (rc != 0) out.message(error);
  return rc;
}

}  // namespace

void register_ctrl_handlers(ctrl::Registry& registry, Dataplane& dp) {
  registry.claim("netif", ctrl::ids::kNetifFirst, ctrl::ids::kNetifLast);
  registry.add("netif", {ctrl::Kind::get, msg::kGetLinks, "netif.links", sizeof(msg::LinkQuery),
                         sizeof(msg::LinkQuery),
                         [&dp](const ctrl::Request& in, ctrl::Response& out) { return get_links(dp, in, out); }});
  registry.add("netif", {ctrl::Kind::set, msg::kSetLink, "netif.set_link", sizeof(msg::LinkSet), sizeof(msg::LinkSet),
                         [&dp](const ctrl::Request& in, ctrl::Response& out) { return set_link(dp, in, out); }});
  registry.add("netif", {ctrl::Kind::set, msg::kAddVlan, "netif.add_vlan", sizeof(msg::VlanAdd), sizeof(msg::VlanAdd),
                         [&dp](const ctrl::Request& in, ctrl::Response& out) { return add_vlan(dp, in, out); }});
  registry.add("netif", {ctrl::Kind::set, msg::kDelVlan, "netif.del_vlan", sizeof(msg::VlanDel), sizeof(msg::VlanDel),
                         [&dp](const ctrl::Request& in, ctrl::Response& out) { return del_vlan(dp, in, out); }});
}

}  // namespace fulcrum::netif
