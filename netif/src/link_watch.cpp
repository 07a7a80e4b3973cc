// The master polls each port's carrier (without waiting: _nowait) and logs every change, so that an operator
// sees a cable pull or a peer's veth going down in the log, and `dpip link` shows the last state.

#include <rte_ethdev.h>

#include "dataplane.hpp"
#include "netif_log.hpp"

namespace fulcrum::netif {

uint32_t Dataplane::link_watch_job(void* self) {
  auto* dp = static_cast<Dataplane*>(self);
  uint32_t changes = 0;
  for (auto& [ifindex, dev] : dp->netdevs_) {
    if (dev.kind == ctrl::netif_msg::LinkKind::vlan) continue;  // a VLAN's carrier is its parent's
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(dev.port_id, &link) != 0) continue;
    const bool up = link.link_status == RTE_ETH_LINK_UP;
    const uint32_t speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
    const bool full = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
    if (up == dev.link_up && speed == dev.speed_mbps && full == dev.link_full_duplex) continue;
    dev.link_up = up;
    dev.speed_mbps = speed;
    dev.link_full_duplex = full;
    ++changes;
    if (up) {
      FLOG(g_log, INFO, "%s: link up, %u Mb/s, %s-duplex", dev.name.c_str(), speed, full ? "full" : "half");
    } else {
      FLOG(g_log, INFO, "%s: link down", dev.name.c_str());
    }
  }
  return changes;
}

}  // namespace fulcrum::netif
