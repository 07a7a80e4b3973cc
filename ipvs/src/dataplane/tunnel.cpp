// TUN (IP-in-IP): the client's packet, unchanged, inside an outer header from our address on the egress
// device to the real server: IPIP (protocol 4) for an IPv4 service, IPv6-in-IPv6 (next header 41) for an
// IPv6 one. The real server decapsulates, finds the VIP on its own device and answers the client directly,
// so only the in-direction passes the balancer.
//
// The core routes towards the real server first (Egress::to_dest), checks the egress MTU against the packet
// plus the outer header (in_overhead*) and answers "fragmentation needed" / "packet too big" to the client
// itself; so a packet that reaches this module fits. As the kernel's ip_vs_tunnel_xmit: the outer header
// copies the inner TOS / traffic class, TTL / hop limit and (IPv4) DF bit.

#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "forward.hpp"
#include "lcore_ipvs.hpp"

namespace fulcrum::ipvs {
namespace {

constexpr uint8_t kProtoIpip = 4;
constexpr uint8_t kProtoIpv6 = 41;

bool tunnel_in(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  if (ctx.route == nullptr || !ctx.route->has_src) {
    L.add(DpCtr::tun_no_source);
    return false;
  }
  const uint16_t inner_len = static_cast<uint16_t>(m->pkt_len);
  if (v.family == 4) {
    const auto* in = reinterpret_cast<const rte_ipv4_hdr*>(v.l3);
    const uint8_t tos = in->type_of_service;
    const uint8_t ttl = in->time_to_live;
    const uint16_t df = in->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    const uint16_t id = in->packet_id;  // unique enough: the inner sender picked it for this packet
    auto* out = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_ipv4_hdr)));
    if (out == nullptr) {
      L.add(DpCtr::no_mbuf_room);
      return false;
    }
    out->version_ihl = RTE_IPV4_VHL_DEF;
    out->type_of_service = tos;
    out->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(inner_len + sizeof(rte_ipv4_hdr)));
    out->packet_id = id;
    out->fragment_offset = df;
    out->time_to_live = ttl;
    out->next_proto_id = kProtoIpip;
    std::memcpy(&out->src_addr, ctx.route->src.data(), 4);
    std::memcpy(&out->dst_addr, c.daddr, 4);
    // inet's neighbour step sends the header as it is: its checksum is ours to set.
    out->hdr_checksum = 0;
    out->hdr_checksum = rte_ipv4_cksum(out);
    m->l3_len = sizeof(rte_ipv4_hdr);
  } else {
    const auto* in = reinterpret_cast<const rte_ipv6_hdr*>(v.l3);
    const uint32_t flow = in->vtc_flow;
    const uint8_t hops = in->hop_limits;
    auto* out = reinterpret_cast<rte_ipv6_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_ipv6_hdr)));
    if (out == nullptr) {
      L.add(DpCtr::no_mbuf_room);
      return false;
    }
    // Version and traffic class of the inner packet; a flow label of its own is not needed for one tunnel.
    out->vtc_flow = flow & rte_cpu_to_be_32(0xfff00000u);
    out->payload_len = rte_cpu_to_be_16(inner_len);
    out->proto = kProtoIpv6;
    out->hop_limits = hops;
    std::memcpy(out->src_addr, ctx.route->src.data(), 16);
    std::memcpy(out->dst_addr, c.daddr, 16);
    m->l3_len = sizeof(rte_ipv6_hdr);
  }
  v.l3 = rte_pktmbuf_mtod(m, uint8_t*);
  L.add(DpCtr::tun_encapsulated);
  return true;
}

// A reply through the balancer after all: passed on unchanged, as for DR.
bool tunnel_out(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)c, (void)ctx, (void)m, (void)v;
  return true;
}

}  // namespace

extern const ForwardOps kTunnelOps = {.name = "tun",
                                      .in = &tunnel_in,
                                      .out = &tunnel_out,
                                      .in_egress = Egress::to_dest,
                                      .in_overhead4 = sizeof(rte_ipv4_hdr),
                                      .in_overhead6 = sizeof(rte_ipv6_hdr),
                                      .relay_icmp = false,
                                      .input_only = true};

}  // namespace fulcrum::ipvs
