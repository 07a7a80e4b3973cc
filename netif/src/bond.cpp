// Bonds through DPDK's net_bonding. Members are created first (probed, not configured); the bond's vdev names
// them, and the bond configures and starts them with its own queues, MTU and MAC. From then on only the bond
// carries traffic: members keep an ifindex so that dpip shows them and their PMD counters.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <rte_eth_bond.h>
#include <rte_ethdev.h>

#include "dataplane.hpp"
#include "netif_log.hpp"
#include "port.hpp"

namespace fulcrum::netif {

void Dataplane::open_member(const PortConfig& pc) {
  Netdev dev;
  dev.name = pc.name;
  dev.config = pc;
  dev.port_id = probe_port(pc, &dev.driver);
  rte_ether_addr addr;
  rte_eth_macaddr_get(dev.port_id, &addr);
  std::memcpy(dev.mac.bytes.data(), addr.addr_bytes, RTE_ETHER_ADDR_LEN);
  const Netdev& d = add_netdev(std::move(dev));
  FLOG(g_log, INFO, "%s: %s port %u, ifindex %u, bond member", d.name.c_str(), d.driver.c_str(), d.port_id, d.ifindex);
}

void Dataplane::open_bond(const BondConfig& bc) {
  // Until the bond configures its members it offers any number of queues; what counts is what every member
  // offers, and af_packet members are fed on all of theirs.
  bool every_queue_fed = false;
  uint16_t max_rx = UINT16_MAX;
  uint16_t max_tx = UINT16_MAX;
  std::vector<Netdev*> members;
  for (const auto& name : bc.members) {
    Netdev* m = find(name);
    members.push_back(m);
    every_queue_fed |= feeds_every_queue(m->driver);
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(m->port_id, &info) == 0) {
      max_rx = std::min(max_rx, info.max_rx_queues);
      max_tx = std::min(max_tx, info.max_tx_queues);
    }
  }
  const unsigned lcores = static_cast<unsigned>(owned_.size());
  PortConfig pc = bc.port;
  if (pc.rx_queues == 0) pc.rx_queues = every_queue_fed ? max_rx : static_cast<uint16_t>(lcores - 1);
  if (pc.tx_queues == 0) pc.tx_queues = static_cast<uint16_t>(lcores);
  const std::string where = "bond '" + bc.port.name + "': ";
  if (pc.rx_queues > max_rx || pc.tx_queues > max_tx) {
    throw std::runtime_error(where + "needs " + std::to_string(pc.rx_queues) + " RX and " +
                             std::to_string(pc.tx_queues) + " TX queues but its members offer " +
                             std::to_string(max_rx) + " and " + std::to_string(max_tx) +
                             (every_queue_fed ? " (set qpairs=N in the members' vdev strings)" : ""));
  }
  if (every_queue_fed && pc.rx_queues != max_rx) {
    throw std::runtime_error(where + "rx_queues = " + std::to_string(pc.rx_queues) +
                             " but its af_packet members spread traffic over all " + std::to_string(max_rx) +
                             " of their queue pairs: every one must be polled");
  }
  Netdev dev;
  dev.kind = ctrl::netif_msg::LinkKind::bond;
  dev.name = bc.port.name;
  dev.config = pc;
  dev.bond_mode = bc.mode;
  dev.xmit_policy = bc.xmit_policy;
  open_traffic_port(std::move(dev));
  Netdev* bond = find(bc.port.name);
  for (Netdev* m : members) {
    m->master = bond->ifindex;
    if (m->name == bc.primary) bond->bond_primary = m->ifindex;
  }
  FLOG(g_log, INFO, "%s: bond mode %u (%s), xmit_policy %s, primary %s", bond->name.c_str(),
       static_cast<unsigned>(bc.mode), to_string(bc.mode), to_string(bc.xmit_policy), bc.primary.c_str());
}

bool Dataplane::has_lacp_bond() const {
  for (const auto& [ifindex, d] : netdevs_) {
    if (d.kind == ctrl::netif_msg::LinkKind::bond && d.bond_mode == BondMode::lacp) return true;
  }
  return false;
}

uint32_t Dataplane::lacp_tick_job(void* self) {
  auto* dp = static_cast<Dataplane*>(self);
  LcoreState* st = dp->state_of_calling_lcore();
  if (st == nullptr) return 0;
  for (const auto& [ifindex, d] : dp->netdevs_) {
    if (d.kind != ctrl::netif_msg::LinkKind::bond || d.bond_mode != BondMode::lacp) continue;
    // An empty burst on the master's own queue: the bond sends its LACPDUs from inside tx_burst.
    rte_eth_tx_burst(d.port_id, st->tx[d.slot].queue, nullptr, 0);
  }
  return 0;
}

Ifindex bond_active_member(const Dataplane& dp, const Netdev& bond) {
  uint16_t active[RTE_MAX_ETHPORTS];
  const int n = rte_eth_bond_active_slaves_get(bond.port_id, active, RTE_MAX_ETHPORTS);
  if (n <= 0) return kNoIfindex;
  // Active-backup sends on the primary while it is up, else on the first active member.
  const int primary = rte_eth_bond_primary_get(bond.port_id);
  uint16_t chosen = active[0];
  for (int i = 0; i < n; ++i) {
    if (active[i] == primary) chosen = active[i];
  }
  for (const auto& [ifindex, d] : dp.netdevs()) {
    if (d.master == bond.ifindex && d.port_id == chosen) return ifindex;
  }
  return kNoIfindex;
}

}  // namespace fulcrum::netif
