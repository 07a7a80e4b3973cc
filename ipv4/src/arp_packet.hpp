#pragma once
// ARP for IPv4 over Ethernet (RFC 826): checking a received packet and writing the ones we send. Pure:
// unit tests feed it byte arrays.

#include <cstdint>
#include <cstring>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

namespace fulcrum::ipv4 {

// Anything but Ethernet/IPv4 request or reply of the right lengths is malformed for us.
inline bool arp_valid(const uint8_t* p, uint32_t len) {
  if (len < sizeof(rte_arp_hdr)) return false;
  const auto* a = reinterpret_cast<const rte_arp_hdr*>(p);
  const uint16_t op = rte_be_to_cpu_16(a->arp_opcode);
  return a->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
         a->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && a->arp_hlen == RTE_ETHER_ADDR_LEN &&
         a->arp_plen == 4 && (op == RTE_ARP_OP_REQUEST || op == RTE_ARP_OP_REPLY);
}

// Writes an ARP packet (no Ethernet header) into `out`, which has room for sizeof(rte_arp_hdr).
inline void arp_write(uint8_t* out, uint16_t op, const rte_ether_addr& sha, uint32_t sip_be,
                      const rte_ether_addr& tha, uint32_t tip_be) {
  auto* a = reinterpret_cast<rte_arp_hdr*>(out);
  a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  a->arp_hlen = RTE_ETHER_ADDR_LEN;
  a->arp_plen = 4;
  a->arp_opcode = rte_cpu_to_be_16(op);
  rte_ether_addr_copy(&sha, &a->arp_data.arp_sha);
  a->arp_data.arp_sip = sip_be;
  rte_ether_addr_copy(&tha, &a->arp_data.arp_tha);
  a->arp_data.arp_tip = tip_be;
}

}  // namespace fulcrum::ipv4
