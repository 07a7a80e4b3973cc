#pragma once
// What other layers (ipv4, ipv6, arp, ipvs) use of netif: the ethertype hooks on the receive path, send(),
// and the ingress device of a received mbuf.
//
// Devices are "netdevs" named by an ifindex (1, 2, ...; 0 is none), as in Linux: a DPDK port now, a VLAN
// sub-interface or a bond later, so the layers above never hold DPDK port ids.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "fulcrum/netif/mac_address.hpp"

namespace fulcrum::netif {

using Ifindex = uint16_t;
constexpr Ifindex kNoIfindex = 0;

// Receives a burst of frames of one ethertype, on the worker that polled them, in arrival order. Each mbuf's
// data starts at the L3 header; l2_len is set and the Ethernet header is still in the buffer just before the
// data. The handler owns the mbufs: it sends, keeps or frees every one of them.
using EthertypeHandler = void (*)(void* ctx, rte_mbuf** pkts, uint16_t n);

// Offset of the ingress-ifindex mbuf dynfield; registered when the netif module initialises.
extern int g_ingress_ifindex_offset;

inline Ifindex ingress_ifindex(const rte_mbuf* m) {
  return *RTE_MBUF_DYNFIELD(m, g_ingress_ifindex_offset, const Ifindex*);
}
inline void set_ingress_ifindex(rte_mbuf* m, Ifindex ifindex) {
  *RTE_MBUF_DYNFIELD(m, g_ingress_ifindex_offset, Ifindex*) = ifindex;
}

class Dataplane;

class Netif {
 public:
  explicit Netif(Dataplane& dp) : dp_(&dp) {}

  // Before the lcores start (a module's init). `ethertype` in host order (RTE_ETHER_TYPE_IPV4). Throws
  // std::logic_error for a second handler of one ethertype, too many handlers, or a call after start.
  void register_ethertype(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx);

  // Queues a complete frame (Ethernet header included) for `ifindex` on the calling lcore's own TX queue;
  // sent in a burst at the end of the lcore's loop. Takes the mbuf in every case: a down device or a full TX
  // ring frees it and counts the drop. Workers and the master only, never another thread.
  void send(rte_mbuf* m, Ifindex ifindex);

  // Hands a frame that the dataplane does not consume to the kernel, through the kni TAP of the device it
  // came in on. `m` is as an ethertype handler got it (data at L3, l2_len set, ingress ifindex set): the
  // Ethernet header is put back first. Takes the mbuf in every case; without a kni device it is freed and
  // counted (drop reason kni_none). Workers only.
  void to_kernel(rte_mbuf* m);

  // The pool every port receives into; other layers allocate the packets they originate (ARP requests,
  // ICMP errors) from it.
  rte_mempool* pool() const;

  // Lookups for set-up and control work (master).
  Ifindex find(std::string_view name) const;
  std::optional<MacAddress> mac(Ifindex ifindex) const;
  std::optional<std::string> name(Ifindex ifindex) const;
  // The device's L3 MTU (a VLAN's is its parent's); 0 for no such device.
  uint16_t mtu(Ifindex ifindex) const;
  // Whether the dataplane's IP runs on the device: ports, bonds and VLANs, but not a kni (the kernel's side of
  // a port) nor a bond member (its bond carries its traffic).
  bool carries_ip(Ifindex ifindex) const;

  // Called on the master after a device is removed at run time (`dpip vlan del`), so that a layer can drop
  // what it keeps for it (addresses, routes, neighbours). Register during init.
  void on_netdev_removed(std::function<void(Ifindex)> fn);

 private:
  Dataplane* dp_;
};

}  // namespace fulcrum::netif
