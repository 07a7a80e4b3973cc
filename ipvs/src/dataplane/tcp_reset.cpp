// A TCP segment to a virtual service that belongs to no connection (the balancer restarted, or the
// connection expired) gets a RST, as the kernel's IPVS host answers it from its own stack: the client learns
// at once instead of retransmitting into silence. RFC 793's rules: a segment with ACK is answered with
// seq = its ack; one without, with RST|ACK acknowledging what it carried.

#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {

void IpvsDataplane::send_reset(LcoreIpvs& L, const PacketView& v) {
  if (v.tcp_flags & kTcpRst) return;
  const auto* oth = reinterpret_cast<const rte_tcp_hdr*>(v.l4);
  const bool v4 = v.family == 4;
  uint32_t payload;
  if (v4) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(v.l3);
    payload = rte_be_to_cpu_16(ip->total_length) - v.l3_len - (oth->data_off >> 4) * 4u;
  } else {
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(v.l3);
    payload = rte_be_to_cpu_16(ip->payload_len) - (oth->data_off >> 4) * 4u;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr) return;
  const uint16_t l3 = v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr);
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, l3 + sizeof(rte_tcp_hdr)));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  std::memset(p, 0, l3 + sizeof(rte_tcp_hdr));
  if (v4) {
    const auto* oip = reinterpret_cast<const rte_ipv4_hdr*>(v.l3);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3 + sizeof(rte_tcp_hdr)));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = oip->dst_addr;
    ip->dst_addr = oip->src_addr;
  } else {
    const auto* oip = reinterpret_cast<const rte_ipv6_hdr*>(v.l3);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(sizeof(rte_tcp_hdr));
    ip->proto = IPPROTO_TCP;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, oip->dst_addr, 16);
    std::memcpy(ip->dst_addr, oip->src_addr, 16);
  }
  auto* th = reinterpret_cast<rte_tcp_hdr*>(p + l3);
  th->src_port = oth->dst_port;
  th->dst_port = oth->src_port;
  th->data_off = 5 << 4;
  if (v.tcp_flags & kTcpAck) {
    th->sent_seq = oth->recv_ack;
    th->tcp_flags = kTcpRst;
  } else {
    const uint32_t len = payload + ((v.tcp_flags & kTcpSyn) ? 1 : 0) + ((v.tcp_flags & kTcpFin) ? 1 : 0);
    th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(oth->sent_seq) + len);
    th->tcp_flags = kTcpRst | kTcpAck;
  }
  m->l3_len = l3;
  PacketView rv;
  rv.l3 = p;
  rv.l4 = p + l3;
  rv.l3_len = l3;
  rv.family = v.family;
  rv.proto = IPPROTO_TCP;
  th->cksum = l4_checksum_full(m, rv, false);
  L.add(DpCtr::tcp_reset);
  inet_.output(v4 ? inet::Family::v4 : inet::Family::v6, &m, 1);
}

}  // namespace fulcrum::ipvs
