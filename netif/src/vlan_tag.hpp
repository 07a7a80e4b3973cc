#pragma once
// 802.1Q tags in a contiguous frame, as byte moves: strip moves the two Ethernet addresses 4 bytes forward
// over the tag, insert moves them 4 bytes back and writes the tag. Pure, so that unit tests need no EAL;
// the mbuf wrappers (rte_pktmbuf_adj / rte_pktmbuf_prepend) live in the packet path.

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>

namespace fulcrum::netif {

constexpr uint32_t kVlanTagLen = 4;
constexpr uint32_t kVlanFrameMin = RTE_ETHER_HDR_LEN + kVlanTagLen;  // addresses, tag, inner ethertype
constexpr uint16_t kVlanIdMask = 0x0fff;
constexpr uint16_t kVlanIdMaxValue = 4094;  // 4095 is reserved

// The TCI of a tagged frame (`frame` holds at least kVlanFrameMin bytes and its ethertype is 0x8100).
inline uint16_t vlan_tci_of(const uint8_t* frame) {
  uint16_t be;
  std::memcpy(&be, frame + 2 * RTE_ETHER_ADDR_LEN + 2, sizeof be);
  return rte_be_to_cpu_16(be);
}

// Moves the addresses over the tag: the untagged frame starts at frame + kVlanTagLen.
inline void vlan_strip_bytes(uint8_t* frame) {
  std::memmove(frame + kVlanTagLen, frame, 2 * RTE_ETHER_ADDR_LEN);
}

// `frame` is an untagged frame with kVlanTagLen free bytes before it; the tagged frame starts at
// frame - kVlanTagLen.
inline void vlan_insert_bytes(uint8_t* frame, uint16_t tci) {
  uint8_t* out = frame - kVlanTagLen;
  std::memmove(out, frame, 2 * RTE_ETHER_ADDR_LEN);
  const uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
  const uint16_t tci_be = rte_cpu_to_be_16(tci);
  std::memcpy(out + 2 * RTE_ETHER_ADDR_LEN, &tpid, sizeof tpid);
  std::memcpy(out + 2 * RTE_ETHER_ADDR_LEN + 2, &tci_be, sizeof tci_be);
}

}  // namespace fulcrum::netif
