// The master polls each device's carrier (without waiting: _nowait) and logs every change, so that an operator
// sees a cable pull or a peer's veth going down in the log, and `dpip link` shows the last state.
//
// af_packet and af_xdp report their link as up forever (their link_update does nothing in DPDK 22.11), so for
// them the kernel's own carrier of the interface they sit on decides. A bond cannot see that carrier either,
// and it cannot take such a member out and back (removal stops the member, and a stopped af_packet port has
// closed its sockets for good). So in active-backup the watch moves the bond's primary off a member whose
// carrier drops, and back to the configured primary when its carrier returns: that is the fail-over. The
// other modes keep sending a dead member its share until its carrier returns (logged).
//
// After the bond changes member, switches (and Linux bridges) still send its MAC to the old one until they
// see a frame from it on the new one. The bond announces itself, as QEMU does after a migration: a broadcast
// RARP from the bond's MAC and from each of its VLANs' MACs.

#include <cstring>
#include <fstream>
#include <string>

#include <rte_eth_bond.h>
#include <rte_ethdev.h>

#include "dataplane.hpp"
#include "netif_log.hpp"

namespace fulcrum::netif {
namespace {

// The kernel interface under a kernel-backed PMD, from its vdev string; empty for other PMDs.
std::string kernel_iface_of(const Netdev& dev) {
  if (dev.driver != "net_af_packet" && dev.driver != "net_af_xdp") return {};
  const std::string& vdev = dev.config.vdev;
  size_t pos = vdev.find(",iface=");
  if (pos == std::string::npos) return {};
  pos += 7;
  return vdev.substr(pos, vdev.find(',', pos) - pos);
}

// 1 in /sys/class/net/IF/carrier; an interface that is down gives a read error, which is no carrier either.
bool kernel_carrier(const std::string& iface) {
  std::ifstream f("/sys/class/net/" + iface + "/carrier");
  int carrier = 0;
  return static_cast<bool>(f >> carrier) && carrier == 1;
}

constexpr uint16_t kEthertypeRarp = 0x8035;

rte_mbuf* rarp_announce(rte_mempool* pool, const MacAddress& mac) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  constexpr uint16_t kFrameLen = 60;  // the minimum frame without its FCS
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrameLen));
  if (f == nullptr) {  // a pool of tiny mbufs: nothing to announce with
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memset(f, 0, kFrameLen);
  std::memset(f, 0xff, RTE_ETHER_ADDR_LEN);
  std::memcpy(f + 6, mac.bytes.data(), RTE_ETHER_ADDR_LEN);
  const uint8_t tail[] = {
      static_cast<uint8_t>(kEthertypeRarp >> 8), static_cast<uint8_t>(kEthertypeRarp & 0xff),
      0x00, 0x01,  // hardware: Ethernet
      0x08, 0x00,  // protocol: IPv4
      6, 4,
      0x00, 0x03,  // reverse request
  };
  std::memcpy(f + 12, tail, sizeof tail);
  std::memcpy(f + 22, mac.bytes.data(), RTE_ETHER_ADDR_LEN);  // sender hardware address
  std::memcpy(f + 32, mac.bytes.data(), RTE_ETHER_ADDR_LEN);  // target hardware address
  return m;
}

void announce(Dataplane& dp, const Netdev& bond) {
  for (const auto& [ifindex, dev] : dp.netdevs()) {
    if (ifindex != bond.ifindex && dev.parent != bond.ifindex) continue;
    if (dev.kind == ctrl::netif_msg::LinkKind::kni) continue;
    if (rte_mbuf* m = rarp_announce(dp.pool(), dev.mac)) dp.send(m, ifindex);
  }
}

void follow_carrier_in_bond(Dataplane& dp, const Netdev& member, bool up) {
  const Netdev* bond = dp.get(member.master);
  if (bond == nullptr) return;
  if (bond->bond_mode != BondMode::active_backup) {
    if (!up) {
      FLOG(g_log, WARNING, "%s: carrier lost; %s (%s) keeps sending it its share until the carrier returns",
           member.name.c_str(), bond->name.c_str(), to_string(bond->bond_mode));
    }
    return;
  }
  const int current = rte_eth_bond_primary_get(bond->port_id);
  if (!up && current == member.port_id) {
    for (const auto& [ifindex, other] : dp.netdevs()) {
      if (other.master != bond->ifindex || other.ifindex == member.ifindex || !other.link_up) continue;
      const int rc = rte_eth_bond_primary_set(bond->port_id, other.port_id);
      FLOG(g_log, INFO, "%s: carrier lost, %s fails over to %s%s", member.name.c_str(), bond->name.c_str(),
           other.name.c_str(), rc == 0 ? "" : " (refused by the bond)");
      if (rc == 0) announce(dp, *bond);
      return;
    }
    FLOG(g_log, WARNING, "%s: carrier lost and %s has no other member with a carrier", member.name.c_str(),
         bond->name.c_str());
  } else if (up && bond->bond_primary == member.ifindex && current != member.port_id) {
    const int rc = rte_eth_bond_primary_set(bond->port_id, member.port_id);
    FLOG(g_log, INFO, "%s: carrier back, %s returns to it%s", member.name.c_str(), bond->name.c_str(),
         rc == 0 ? "" : " (refused by the bond)");
    if (rc == 0) announce(dp, *bond);
  }
}

}  // namespace

uint32_t Dataplane::link_watch_job(void* self) {
  auto* dp = static_cast<Dataplane*>(self);
  uint32_t changes = 0;
  for (auto& [ifindex, dev] : dp->netdevs_) {
    if (dev.kind == ctrl::netif_msg::LinkKind::vlan) continue;  // a VLAN's carrier is its parent's
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(dev.port_id, &link) != 0) continue;
    const std::string iface = kernel_iface_of(dev);
    const bool up = link.link_status == RTE_ETH_LINK_UP && (iface.empty() || kernel_carrier(iface));
    const uint32_t speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
    const bool full = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
    if (dev.master != kNoIfindex) {
      // The bond sets its members' MAC: show what the wire sees.
      rte_ether_addr addr;
      if (rte_eth_macaddr_get(dev.port_id, &addr) == 0) {
        std::memcpy(dev.mac.bytes.data(), addr.addr_bytes, RTE_ETHER_ADDR_LEN);
      }
    }
    if (up == dev.link_up && speed == dev.speed_mbps && full == dev.link_full_duplex) continue;
    const bool carrier_changed = up != dev.link_up;
    dev.link_up = up;
    dev.speed_mbps = speed;
    dev.link_full_duplex = full;
    ++changes;
    if (up) {
      FLOG(g_log, INFO, "%s: link up, %u Mb/s, %s-duplex", dev.name.c_str(), speed, full ? "full" : "half");
    } else {
      FLOG(g_log, INFO, "%s: link down", dev.name.c_str());
    }
    if (carrier_changed && dev.master != kNoIfindex && dp->running_.load(std::memory_order_relaxed)) {
      follow_carrier_in_bond(*dp, dev, up);
    }
  }
  return changes;
}

}  // namespace fulcrum::netif
