// FullNAT: client -> VIP becomes local address:local port -> real server, and the real server's reply
// becomes VIP -> client, so the real server needs no route back through the balancer and no change at all.
// With TOA the client's own address and port ride to the real server in a TCP option on the SYN and on the
// first ACK (the layout DPVS and Jupiter use, which existing toa modules read).

#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "forward.hpp"
#include "fulcrum/ipvs/worker_service.hpp"
#include "lcore_ipvs.hpp"

namespace fulcrum::ipvs {
namespace {

constexpr uint8_t kTcpOptEol = 0;
constexpr uint8_t kTcpOptNop = 1;
constexpr uint8_t kTcpOptMss = 2;
constexpr uint8_t kTcpOptToa = 254;
constexpr uint8_t kToaLen4 = 8;   // kind, length, port, IPv4 address
constexpr uint8_t kToaLen6 = 20;  // kind, length, port, IPv6 address
constexpr unsigned kTcpMaxHeader = 60;

uint8_t toa_len(uint8_t family) { return family == 4 ? kToaLen4 : kToaLen6; }

// Where the options end: the offset of an End-of-Option-List, whose padding follows it, else the header's
// end. An option placed after an EOL would never be read.
unsigned options_end(const rte_tcp_hdr* th) {
  const unsigned hlen = (th->data_off >> 4) * 4u;
  const uint8_t* h = reinterpret_cast<const uint8_t*>(th);
  unsigned at = sizeof(rte_tcp_hdr);
  while (at < hlen) {
    if (h[at] == kTcpOptEol) return at;
    if (h[at] == kTcpOptNop) {
      ++at;
      continue;
    }
    if (at + 1 >= hlen || h[at + 1] < 2) break;
    at += h[at + 1];
  }
  return hlen;
}

// The MSS option's value field, or null.
uint8_t* find_mss(rte_tcp_hdr* th) {
  const unsigned hlen = (th->data_off >> 4) * 4u;
  uint8_t* p = reinterpret_cast<uint8_t*>(th) + sizeof(rte_tcp_hdr);
  uint8_t* end = reinterpret_cast<uint8_t*>(th) + hlen;
  while (p < end) {
    if (*p == kTcpOptEol) break;
    if (*p == kTcpOptNop) {
      ++p;
      continue;
    }
    if (p + 1 >= end || p[1] < 2 || p + p[1] > end) break;
    if (*p == kTcpOptMss && p[1] == 4) return p + 2;
    p += p[1];
  }
  return nullptr;
}

// The IPv4 total length or IPv6 payload length grows by `by`.
void grow_ip_length(PacketView& v, uint16_t by) {
  if (v.family == 4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(v.l3);
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) + by));
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(v.l3);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(rte_be_to_cpu_16(ip->payload_len) + by));
  }
}

void tcp_checksum_full(rte_mbuf* m, PacketView& v) {
  auto* th = reinterpret_cast<rte_tcp_hdr*>(v.l4);
  th->cksum = 0;
  th->cksum = l4_checksum_full(m, v, false);
}

// Inserts the TOA option after the TCP header's own options: the IP and TCP headers move forward by the
// option's length into the headroom, so the payload stays where it is. The checksum is recomputed whole:
// this happens twice per connection.
bool insert_toa(LcoreIpvs& L, const Conn& c, rte_mbuf* m, PacketView& v) {
  auto* th = reinterpret_cast<rte_tcp_hdr*>(v.l4);
  const unsigned hlen = (th->data_off >> 4) * 4u;
  const uint8_t olen = toa_len(v.family);
  if (hlen + olen > kTcpMaxHeader) {
    L.add(DpCtr::toa_no_room);
    return false;
  }
  const unsigned end = options_end(th);
  const unsigned moved = v.l3_len + hlen;
  auto* start = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, olen));
  if (start == nullptr) {
    L.add(DpCtr::no_mbuf_room);
    return false;
  }
  std::memmove(start, start + olen, moved);
  v.l3 = start;
  v.l4 = start + v.l3_len;
  // Before an EOL and its padding, which move behind the new option (the padding is zeros: EOLs too).
  uint8_t* opt = start + v.l3_len + end;
  std::memset(opt + olen, 0, hlen - end);
  opt[0] = kTcpOptToa;
  opt[1] = olen;
  std::memcpy(opt + 2, &c.cport, 2);
  std::memcpy(opt + 4, c.caddr, v.family == 4 ? 4 : 16);
  th = reinterpret_cast<rte_tcp_hdr*>(v.l4);
  th->data_off = static_cast<uint8_t>((((hlen + olen) / 4) << 4) | (th->data_off & 0x0f));
  grow_ip_length(v, olen);
  tcp_checksum_full(m, v);
  L.add(DpCtr::toa_added);
  return true;
}

bool fullnat_in(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  rewrite_tuple(v, c.laddr, c.lport, c.daddr, c.dport);
  const bool toa = ctx.service != nullptr && ctx.service->toa && v.proto == IPPROTO_TCP;
  if (toa) {
    const uint8_t f = v.tcp_flags;
    if ((f & kTcpSyn) && !(f & (kTcpAck | kTcpRst))) {
      if (insert_toa(L, c, m, v)) c.flags |= kConnToaSent | kConnToaAckPending;
    } else if ((c.flags & kConnToaAckPending) && (f & kTcpAck) && !(f & (kTcpSyn | kTcpRst))) {
      c.flags &= static_cast<uint8_t>(~kConnToaAckPending);
      insert_toa(L, c, m, v);
    }
  }
  return true;
}

bool fullnat_out(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)m;
  // The client's segments to the real server may carry TOA on top of the MSS the real server offers: lower
  // the offer by the option's length so that they still fit the path.
  if (v.proto == IPPROTO_TCP && (v.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck) &&
      ctx.service != nullptr && ctx.service->toa) {
    auto* th = reinterpret_cast<rte_tcp_hdr*>(v.l4);
    if (uint8_t* mss = find_mss(th)) {
      uint16_t old_be;
      std::memcpy(&old_be, mss, 2);
      const uint16_t old_mss = rte_be_to_cpu_16(old_be);
      const uint16_t olen = toa_len(v.family);
      if (old_mss > olen + 536) {
        const uint16_t new_be = rte_cpu_to_be_16(static_cast<uint16_t>(old_mss - olen));
        CsumDelta d;
        // The sum runs over 16-bit words from the header's start; a value at an odd offset straddles two of
        // them, and a one's complement sum of byte-swapped words is the byte-swapped sum.
        if (((mss - reinterpret_cast<uint8_t*>(th)) & 1) != 0) {
          d.replace16(rte_bswap16(old_be), rte_bswap16(new_be));
        } else {
          d.replace16(old_be, new_be);
        }
        th->cksum = d.apply(th->cksum);
        std::memcpy(mss, &new_be, 2);
        L.add(DpCtr::mss_clamped);
      }
    }
  }
  rewrite_tuple(v, c.vaddr, c.vport, c.caddr, c.cport);
  return true;
}

}  // namespace

extern const ForwardOps kFullnatOps = {"fullnat", true, &fullnat_in, &fullnat_out};

}  // namespace fulcrum::ipvs
