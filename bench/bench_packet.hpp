#pragma once
// IPv4 TCP and UDP packets for the benchmarks, written straight into a buffer (an mbuf's data or a pcap
// record) with valid checksums. The generator and the in-process benchmark share it, so that what the pcap
// replay sends and what the lifecycle benchmark feeds the path are the same bytes.
//
// Addresses and ports are host order here; the builder writes network order.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

namespace fulcrum::bench {

struct Tuple4 {
  uint32_t saddr = 0;
  uint32_t daddr = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
};

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// Bytes an IPv4 packet with `payload` bytes of `proto` takes (no options).
inline size_t ip_packet_len(uint8_t proto, size_t payload) {
  return 20 + (proto == IPPROTO_TCP ? 20 : 8) + payload;
}

// Writes the packet at `p` (room for ip_packet_len bytes) and returns its length. The payload is a fixed
// pattern: nothing on the path reads it.
inline size_t write_ip_packet(uint8_t* p, uint8_t proto, const Tuple4& t, uint8_t tcp_flags, uint32_t seq,
                              uint32_t ack, size_t payload) {
  const size_t len = ip_packet_len(proto, payload);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p);
  std::memset(p, 0, len - payload);
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len));
  ip->time_to_live = 64;
  ip->next_proto_id = proto;
  ip->src_addr = rte_cpu_to_be_32(t.saddr);
  ip->dst_addr = rte_cpu_to_be_32(t.daddr);
  uint8_t* l4 = p + 20;
  std::memset(l4 + (len - payload - 20), 0x5a, payload);
  if (proto == IPPROTO_TCP) {
    auto* th = reinterpret_cast<rte_tcp_hdr*>(l4);
    th->src_port = rte_cpu_to_be_16(t.sport);
    th->dst_port = rte_cpu_to_be_16(t.dport);
    th->sent_seq = rte_cpu_to_be_32(seq);
    th->recv_ack = rte_cpu_to_be_32(ack);
    th->data_off = 5 << 4;
    th->tcp_flags = tcp_flags;
    th->rx_win = rte_cpu_to_be_16(29200);
    th->cksum = rte_ipv4_udptcp_cksum(ip, th);
  } else {
    auto* uh = reinterpret_cast<rte_udp_hdr*>(l4);
    uh->src_port = rte_cpu_to_be_16(t.sport);
    uh->dst_port = rte_cpu_to_be_16(t.dport);
    uh->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - 20));
    uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
  }
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return len;
}

// The addresses and ports of the IPv4 packet at `p`, host order.
inline Tuple4 read_tuple(const uint8_t* p) {
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(p);
  const auto* ports = reinterpret_cast<const rte_be16_t*>(p + (ip->version_ihl & 0xf) * 4);
  return {rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(ports[0]),
          rte_be_to_cpu_16(ports[1])};
}

// Client i of a population: 60000 ports per address from 100.64.0.1 up, so that a million flows come from
// 17 addresses and ten million from 167, as a carrier-grade NAT's clients would.
inline Tuple4 client_flow(uint64_t i, uint32_t vip, uint16_t vport) {
  return {0x64400001u + static_cast<uint32_t>(i / 60000), vip, static_cast<uint16_t>(1024 + i % 60000), vport};
}

}  // namespace fulcrum::bench
