#pragma once
// The way out of the methods that send towards the real server's address rather than the packet's own
// destination (Egress::to_dest: DR, TUN): whether a packet fits the egress MTU once the module has added its
// outer header, and what the client is told when it does not.

#include <cstdint>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "packet_view.hpp"

namespace fulcrum::ipvs {

enum class Fit : uint8_t {
  fits,
  tell,  // too big and must not be fragmented (IPv4 DF, any IPv6): the client gets the MTU it may use
  drop,  // too big, fragmentable: neither DR (its frame must reach the real server whole) nor TUN fragment
};

inline constexpr uint16_t kIpv6MinMtu = 1280;

// `pkt_len` is the packet as it arrived (IP header on); `overhead` the bytes the module adds; `mtu` the
// egress device's. For Fit::tell, *tell_mtu is the largest packet the client may send (IPv6: at least 1280,
// which RFC 8200 makes every link carry, fragmenting below if it must).
inline Fit check_fit(uint32_t pkt_len, const PacketView& v, uint16_t overhead, uint16_t mtu, uint16_t* tell_mtu) {
  if (pkt_len + overhead <= mtu) return Fit::fits;
  const uint16_t room = mtu > overhead ? static_cast<uint16_t>(mtu - overhead) : 0;
  if (v.family == 4) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(v.l3);
    if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) == 0) return Fit::drop;
    *tell_mtu = room;
    return Fit::tell;
  }
  *tell_mtu = room < kIpv6MinMtu ? kIpv6MinMtu : room;
  return Fit::tell;
}

}  // namespace fulcrum::ipvs
