// ICMP (RFC 792): echo replies for our addresses, the replies to dataplane pings, and the errors the
// forwarding path sends (rate limited per worker). Other types go to the kernel.

#include <rte_cycles.h>
#include <rte_icmp.h>

#include "fulcrum/inet/packet_util.hpp"
#include "ipv4.hpp"

namespace fulcrum::ipv4 {
namespace {

// RFC 1812 4.3.2.3: an error quotes as much of the packet as fits in 576 bytes.
constexpr uint32_t kErrorMax = 576;

bool is_error_type(uint8_t type) {
  return type == kIcmpDestUnreach || type == kIcmpSourceQuench || type == kIcmpRedirect ||
         type == kIcmpTimeExceeded || type == kIcmpParamProblem;
}

}  // namespace

void Ipv4::on_icmp(void* self, rte_mbuf** pkts, uint16_t n) {
  auto* v4 = static_cast<Ipv4*>(self);
  LcoreInet* lc = v4->inet_.lcore();
  for (uint16_t i = 0; i < n; ++i) v4->icmp_input(*lc, pkts[i]);
}

void Ipv4::icmp_input(LcoreInet& lc, rte_mbuf* m) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  c.add(Ctr::icmp_in);
  const uint32_t len = m->pkt_len - m->l3_len;
  if (len < sizeof(rte_icmp_hdr) || m->data_len < m->l3_len + sizeof(rte_icmp_hdr)) {
    c.add(Ctr::icmp_truncated);
    rte_pktmbuf_free(m);
    return;
  }
  if (inet::checksum_mbuf(m, m->l3_len, len) != 0xffff) {
    c.add(Ctr::icmp_bad_checksum);
    rte_pktmbuf_free(m);
    return;
  }
  const auto* icmp = rte_pktmbuf_mtod_offset(m, const rte_icmp_hdr*, m->l3_len);
  if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST) {
    if (icmp->icmp_code != 0) {
      c.add(Ctr::icmp_bad_code);
      rte_pktmbuf_free(m);
      return;
    }
    c.add(Ctr::icmp_echo_requests);
    echo_reply(lc, m);
    return;
  }
  if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY && icmp->icmp_ident == rte_cpu_to_be_16(inet::kPingIdent)) {
    ping_reply(lc, m);
    return;
  }
  // Replies to the kernel's own pings, errors about its connections: the kernel's.
  c.add(Ctr::icmp_to_kernel);
  inet_.to_kernel(lc, Family::v4, m);
}

void Ipv4::echo_reply(LcoreInet& lc, rte_mbuf* m) {
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, m->l3_len);
  const uint32_t ours = ip->dst_addr;
  ip->dst_addr = ip->src_addr;
  ip->src_addr = ours;
  ip->time_to_live = inet_.config().of(Family::v4).ttl;
  ip->fragment_offset = 0;  // a reply to a reassembled request may need fragmenting in turn
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  // Only the type changed, 8 -> 0, in the first 16-bit word (RFC 1624).
  icmp->icmp_cksum = inet::checksum_adjust(icmp->icmp_cksum, rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REQUEST << 8),
                                           rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REPLY << 8));
  lc.ctr(Family::v4).add(Ctr::icmp_echo_replies);
  output(lc, &m, 1);
}

void Ipv4::ping_reply(LcoreInet& lc, rte_mbuf* m) {
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
  inet::PingStamp stamp;
  // rte_pktmbuf_read copies into `stamp` only when the bytes span segments; else it points at them.
  if (const void* p = rte_pktmbuf_read(m, m->l3_len + sizeof(rte_icmp_hdr), sizeof stamp, &stamp)) {
    if (p != &stamp) std::memcpy(&stamp, p, sizeof stamp);
    inet::record_ping(lc, stamp, inet::Addr::v4_be(ip->src_addr), ip->time_to_live,
                      static_cast<uint16_t>(m->pkt_len - m->l3_len));
  }
  rte_pktmbuf_free(m);
}

void Ipv4::ping(LcoreInet& lc, const inet::PingOrder& order) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  const inet::Addr dst = inet::Addr::from_bytes(Family::v4, order.dst.data());
  const uint32_t slot = lc.tables->route(dst);
  if (slot == 0) {
    c.add(Ctr::out_no_route);
    return;
  }
  const inet::IfView& v = lc.tables->ifv(lc.tables->nexthop(slot).ifindex);
  if (!v.has_src[0]) {
    c.add(Ctr::out_no_route);  // no address of ours on the way out to send from
    return;
  }
  const uint32_t len = sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) + order.payload;
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr) {
    c.add(Ctr::no_mbuf);
    return;
  }
  // Larger than a buffer: a chain of segments, which output() fragments to the MTU anyway.
  if (!inet::append_zeros(m, inet_.pool(), len)) {
    c.add(Ctr::no_mbuf);
    rte_pktmbuf_free(m);
    return;
  }
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr*);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len));
  ip->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(order.token));
  ip->fragment_offset = 0;
  ip->time_to_live = inet_.config().of(Family::v4).ttl;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = v.src[0].v4_be();
  ip->dst_addr = dst.v4_be();
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
  icmp->icmp_code = 0;
  icmp->icmp_ident = rte_cpu_to_be_16(inet::kPingIdent);
  icmp->icmp_seq_nb = rte_cpu_to_be_16(order.seq);
  const inet::PingStamp stamp{rte_rdtsc(), order.token, 0};
  std::memcpy(icmp + 1, &stamp, sizeof stamp);
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<uint16_t>(~inet::checksum_mbuf(m, sizeof(rte_ipv4_hdr), len - sizeof(rte_ipv4_hdr)));
  m->l3_len = sizeof(rte_ipv4_hdr);
  c.add(Ctr::ping_sent);
  output(lc, &m, 1);
}

void Ipv4::icmp_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint16_t mtu) {
  inet::FamilyCounters& c = lc.ctr(Family::v4);
  const auto* oip = rte_pktmbuf_mtod(orig, const rte_ipv4_hdr*);
  const inet::Addr src = inet::Addr::v4_be(oip->src_addr);
  const inet::Addr dst = inet::Addr::v4_be(oip->dst_addr);
  // RFC 1812 4.3.2.7: never about a broadcast or multicast, a fragment past the first, or an ICMP error.
  if (dst.is_multicast() || dst.is_limited_broadcast() || src.is_multicast() ||
      (oip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
    return;
  }
  if (oip->next_proto_id == IPPROTO_ICMP) {
    uint8_t otype = 0;
    const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(orig, orig->l3_len, 1, &otype));
    if (p == nullptr || is_error_type(*p)) return;
  }
  if (inet_.config().icmp_errors_per_s == 0 || !lc.icmp_errors.allow()) {
    c.add(Ctr::icmp_errors_limited);
    return;
  }
  // As the kernel does: from the address the packet was sent to when it is ours (a VIP answering "port
  // unreachable" must be the VIP, or the client's stack cannot match it), else from the ingress side.
  uint32_t from_be = 0;
  const inet::AddrEntry* own = lc.tables->find_addr4(oip->dst_addr);
  if (own != nullptr) {
    from_be = oip->dst_addr;
  } else {
    const inet::IfView& in = lc.tables->ifv(netif::ingress_ifindex(orig));
    if (!in.has_src[0]) return;  // no address of ours on that side to send it from
    from_be = in.src[0].v4_be();
  }
  const uint32_t quote = std::min<uint32_t>(orig->pkt_len, kErrorMax - sizeof(rte_ipv4_hdr) - sizeof(rte_icmp_hdr));
  const uint32_t len = sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) + quote;
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr) {
    c.add(Ctr::no_mbuf);
    return;
  }
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
  uint8_t* quoted = ip == nullptr ? nullptr : reinterpret_cast<uint8_t*>(ip) + len - quote;
  // rte_pktmbuf_read copies only when the bytes are not contiguous in `orig`; else it points into it.
  const void* q = quoted == nullptr ? nullptr : rte_pktmbuf_read(orig, 0, quote, quoted);
  if (q == nullptr) {
    c.add(Ctr::no_mbuf);
    rte_pktmbuf_free(m);
    return;
  }
  if (q != quoted) std::memcpy(quoted, q, quote);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0xc0;  // internetwork control
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len));
  ip->packet_id = 0;
  ip->fragment_offset = 0;
  ip->time_to_live = inet_.config().of(Family::v4).ttl;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = from_be;
  ip->dst_addr = oip->src_addr;
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = type;
  icmp->icmp_code = code;
  icmp->icmp_ident = 0;
  icmp->icmp_seq_nb = rte_cpu_to_be_16(mtu);  // "next-hop MTU" of fragmentation needed (RFC 1191); 0 otherwise
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, len - sizeof(rte_ipv4_hdr)));
  m->l3_len = sizeof(rte_ipv4_hdr);
  c.add(Ctr::icmp_errors_sent);
  output(lc, &m, 1);
}

}  // namespace fulcrum::ipv4
