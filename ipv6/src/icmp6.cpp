// ICMPv6 (RFC 4443): echo replies for our addresses, the replies to dataplane pings, the errors the
// forwarding path sends (rate limited per worker), and ND handed on to nd.cpp. Other types go to the kernel.

#include <rte_cycles.h>

#include "ipv6.hpp"
#include "ipv6_check.hpp"
#include "nd_packet.hpp"

namespace fulcrum::ipv6 {
namespace {

// RFC 4443 2.4: an error quotes as much of the packet as fits in the minimum MTU.
constexpr uint32_t kErrorMax = 1280;
constexpr uint32_t kIcmp6HeaderLen = 8;  // type, code, checksum, and the 4 bytes every message has next

struct __attribute__((packed)) Icmp6Hdr {  // packed: wherever the IPv6 headers put it
  uint8_t type;
  uint8_t code;
  uint16_t cksum;
  uint32_t param;  // echo: identifier and sequence; errors: MTU, pointer or unused
};
static_assert(sizeof(Icmp6Hdr) == kIcmp6HeaderLen);

void fill_ip6(rte_ipv6_hdr* ip, uint32_t payload, uint8_t hop_limit, const uint8_t* src, const uint8_t* dst) {
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(payload));
  ip->proto = kIcmp6;
  ip->hop_limits = hop_limit;
  std::memcpy(ip->src_addr, src, 16);
  std::memcpy(ip->dst_addr, dst, 16);
}

}  // namespace

void Ipv6::on_icmp6(void* self, rte_mbuf** pkts, uint16_t n) {
  auto* v6 = static_cast<Ipv6*>(self);
  LcoreInet* lc = v6->inet_.lcore();
  for (uint16_t i = 0; i < n; ++i) v6->icmp6_input(*lc, pkts[i]);
}

void Ipv6::icmp6_input(LcoreInet& lc, rte_mbuf* m) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  c.add(Ctr::icmp_in);
  const uint32_t len = m->pkt_len - m->l3_len;
  if (len < kIcmp6HeaderLen || m->data_len < m->l3_len + kIcmp6HeaderLen) {
    c.add(Ctr::icmp_truncated);
    rte_pktmbuf_free(m);
    return;
  }
  if (icmp6_sum(m) != 0xffff) {
    c.add(Ctr::icmp_bad_checksum);
    rte_pktmbuf_free(m);
    return;
  }
  const auto* icmp = rte_pktmbuf_mtod_offset(m, const Icmp6Hdr*, m->l3_len);
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr*);
  switch (icmp->type) {
    case kIcmp6EchoRequest:
      if (icmp->code != 0) {
        c.add(Ctr::icmp_bad_code);
        rte_pktmbuf_free(m);
        return;
      }
      if (is_multicast(ip->dst_addr)) break;  // a ping to a group: the kernel's to answer or not
      c.add(Ctr::icmp_echo_requests);
      echo_reply(lc, m);
      return;
    case kIcmp6EchoReply: {
      uint16_t ident;
      std::memcpy(&ident, &icmp->param, sizeof ident);
      if (rte_be_to_cpu_16(ident) != inet::kPingIdent) break;
      ping_reply(lc, m);
      return;
    }
    case kNdRouterSolicit:
    case kNdRouterAdvert:
    case kNdNeighSolicit:
    case kNdNeighAdvert:
    case kNdRedirect:
      nd_input(lc, m, icmp->type);
      return;
    default:
      break;
  }
  c.add(Ctr::icmp_to_kernel);
  inet_.to_kernel(lc, Family::v6, m);
}

void Ipv6::echo_reply(LcoreInet& lc, rte_mbuf* m) {
  // The reply carries no extension headers: the base header moves up over them. The checksum does not
  // change for it: the pseudo-header holds the ICMPv6 length, not the IPv6 payload length.
  const uint16_t ext = static_cast<uint16_t>(m->l3_len - sizeof(rte_ipv6_hdr));
  if (ext != 0) {
    auto* data = rte_pktmbuf_mtod(m, uint8_t*);
    std::memmove(data + ext, data, sizeof(rte_ipv6_hdr));
    rte_pktmbuf_adj(m, ext);
    m->l3_len = sizeof(rte_ipv6_hdr);
    auto* ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr*);
    ip->proto = kIcmp6;
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(m->pkt_len - sizeof(rte_ipv6_hdr)));
  }
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr*);
  auto* icmp = rte_pktmbuf_mtod_offset(m, Icmp6Hdr*, m->l3_len);
  uint8_t ours[16];
  std::memcpy(ours, ip->dst_addr, 16);
  std::memcpy(ip->dst_addr, ip->src_addr, 16);
  std::memcpy(ip->src_addr, ours, 16);
  ip->hop_limits = inet_.config().of(Family::v6).ttl;
  icmp->type = kIcmp6EchoReply;
  icmp->cksum = inet::checksum_adjust(icmp->cksum, rte_cpu_to_be_16(kIcmp6EchoRequest << 8),
                                      rte_cpu_to_be_16(kIcmp6EchoReply << 8));
  lc.ctr(Family::v6).add(Ctr::icmp_echo_replies);
  if (is_link_local(ip->dst_addr)) {
    // A link-local peer is on the device the request came in on, whatever the routes say.
    lc.ctr(Family::v6).add(Ctr::out_requests);
    inet_.neigh_send(lc, Family::v6, netif::ingress_ifindex(m), ip->dst_addr, m);
    return;
  }
  output(lc, &m, 1);
}

void Ipv6::ping_reply(LcoreInet& lc, rte_mbuf* m) {
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr*);
  inet::PingStamp stamp;
  // rte_pktmbuf_read copies into `stamp` only when the bytes span segments; else it points at them.
  if (const void* p = rte_pktmbuf_read(m, m->l3_len + kIcmp6HeaderLen, sizeof stamp, &stamp)) {
    if (p != &stamp) std::memcpy(&stamp, p, sizeof stamp);
    inet::record_ping(lc, stamp, inet::Addr::v6(ip->src_addr), ip->hop_limits,
                      static_cast<uint16_t>(m->pkt_len - m->l3_len));
  }
  rte_pktmbuf_free(m);
}

void Ipv6::ping(LcoreInet& lc, const inet::PingOrder& order) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  const inet::Addr dst = inet::Addr::v6(order.dst.data());
  const uint32_t slot = lc.tables->route(dst);
  if (slot == 0) {
    c.add(Ctr::out_no_route);
    return;
  }
  const inet::IfView& v = lc.tables->ifv(lc.tables->nexthop(slot).ifindex);
  if (!v.has_src[1]) {
    c.add(Ctr::out_no_route);
    return;
  }
  const uint32_t icmp_len = kIcmp6HeaderLen + order.payload;
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  if (m == nullptr || !inet::append_zeros(m, inet_.pool(), sizeof(rte_ipv6_hdr) + icmp_len)) {
    c.add(Ctr::no_mbuf);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  auto* ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr*);
  fill_ip6(ip, icmp_len, inet_.config().of(Family::v6).ttl, v.src[1].data(), dst.data());
  auto* icmp = reinterpret_cast<Icmp6Hdr*>(ip + 1);
  icmp->type = kIcmp6EchoRequest;
  icmp->code = 0;
  const uint16_t id_seq[2] = {rte_cpu_to_be_16(inet::kPingIdent), rte_cpu_to_be_16(order.seq)};
  std::memcpy(&icmp->param, id_seq, sizeof id_seq);
  const inet::PingStamp stamp{rte_rdtsc(), order.token, 0};
  std::memcpy(icmp + 1, &stamp, sizeof stamp);
  m->l3_len = sizeof(rte_ipv6_hdr);
  icmp6_fill_checksum(m);
  c.add(Ctr::ping_sent);
  output(lc, &m, 1);
}

void Ipv6::icmp6_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param) {
  inet::FamilyCounters& c = lc.ctr(Family::v6);
  const auto* oip = rte_pktmbuf_mtod(orig, const rte_ipv6_hdr*);
  // RFC 4443 2.4(e): never to an unspecified or multicast source, nor about a multicast destination (but
  // Packet Too Big), nor about an ICMPv6 error.
  if (is_unspecified(oip->src_addr) || is_multicast(oip->src_addr) ||
      (is_multicast(oip->dst_addr) && type != kIcmp6PacketTooBig)) {
    return;
  }
  const Ipv6Verdict v = check_ipv6(rte_pktmbuf_mtod(orig, const uint8_t*), orig->data_len, orig->pkt_len);
  if (v.ok && v.proto == kIcmp6 && v.frag_offset == 0 && orig->data_len > v.l3_len &&
      rte_pktmbuf_mtod_offset(orig, const uint8_t*, v.l3_len)[0] < 128) {
    return;
  }
  if (inet_.config().icmp_errors_per_s == 0 || !lc.icmp_errors.allow()) {
    c.add(Ctr::icmp_errors_limited);
    return;
  }
  // From the packet's own destination when it is ours (see Ipv4::icmp_error), else from the ingress side.
  const uint8_t* from = nullptr;
  if (!is_multicast(oip->dst_addr) && lc.tables->find_addr6(oip->dst_addr) != nullptr) {
    from = oip->dst_addr;
  } else {
    const inet::IfView& in = lc.tables->ifv(netif::ingress_ifindex(orig));
    if (!in.has_src[1]) return;
    from = in.src[1].data();
  }
  const uint32_t quote = std::min<uint32_t>(orig->pkt_len, kErrorMax - sizeof(rte_ipv6_hdr) - kIcmp6HeaderLen);
  const uint32_t len = sizeof(rte_ipv6_hdr) + kIcmp6HeaderLen + quote;
  rte_mbuf* m = rte_pktmbuf_alloc(inet_.pool());
  auto* ip = m == nullptr ? nullptr : reinterpret_cast<rte_ipv6_hdr*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
  uint8_t* quoted = ip == nullptr ? nullptr : reinterpret_cast<uint8_t*>(ip) + len - quote;
  const void* q = quoted == nullptr ? nullptr : rte_pktmbuf_read(orig, 0, quote, quoted);
  if (q == nullptr) {
    c.add(Ctr::no_mbuf);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  if (q != quoted) std::memcpy(quoted, q, quote);
  fill_ip6(ip, kIcmp6HeaderLen + quote, inet_.config().of(Family::v6).ttl, from, oip->src_addr);
  auto* icmp = reinterpret_cast<Icmp6Hdr*>(ip + 1);
  icmp->type = type;
  icmp->code = code;
  icmp->param = rte_cpu_to_be_32(param);
  m->l3_len = sizeof(rte_ipv6_hdr);
  icmp6_fill_checksum(m);
  c.add(Ctr::icmp_errors_sent);
  output(lc, &m, 1);
}

}  // namespace fulcrum::ipv6
