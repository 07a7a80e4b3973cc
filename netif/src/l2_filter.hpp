#pragma once
// The L2 checks every received frame passes before dispatch. Pure, so that unit tests need no EAL.

#include <cstdint>
#include <cstring>

#include <rte_ether.h>

namespace fulcrum::netif {

enum class L2Verdict : uint8_t { accept, runt, other_host };

// `frame` holds `len` contiguous bytes (the first segment). af_packet on a veth sees every frame on the wire,
// so a frame for another unicast MAC must be refused here unless the port is promiscuous.
inline L2Verdict classify_l2(const uint8_t* frame, uint32_t len, const rte_ether_addr& own, bool promisc) {
  if (len < RTE_ETHER_HDR_LEN) return L2Verdict::runt;
  const auto* eth = reinterpret_cast<const rte_ether_hdr*>(frame);
  if (!promisc && !rte_is_multicast_ether_addr(&eth->dst_addr) && !rte_is_same_ether_addr(&eth->dst_addr, &own)) {
    return L2Verdict::other_host;
  }
  return L2Verdict::accept;
}

}  // namespace fulcrum::netif
