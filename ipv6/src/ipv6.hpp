#pragma once
// The IPv6 layer: Neighbour Discovery, the IPv6 input, forward and output paths, ICMPv6, fragmentation and
// reassembly. Like ipv4 it owns no table: addresses, routes and neighbours are inet's. The same paths as
// ipv4 (see ipv4.hpp), with IPv6's differences:
//
// - extension headers are walked (bounded) to find the upper layer; a fragment header ends the walk;
// - multicast to us: ND messages (solicited-node and all-nodes groups) are ours, the rest is the kernel's;
// - routers never fragment: a forwarded packet over the MTU gets ICMPv6 Packet Too Big; only our own
//   packets are fragmented;
// - link-local sources and destinations are never forwarded;
// - NS for our addresses on the device they came in on are answered with an NA; NAs and NSs teach the master
//   about neighbours; everything ND, answered or not, also goes to the kernel.

#include <array>
#include <cstdint>

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/inet/packet_util.hpp"

namespace fulcrum::ipv6 {

using inet::Ctr;
using inet::Family;
using inet::Ifindex;
using inet::LcoreInet;

constexpr uint16_t kBurst = 32;

class Ipv6 final : public inet::FamilyOps {
 public:
  explicit Ipv6(inet::Inet& inet);
  ~Ipv6() override;

  void init(core::ModuleContext& ctx);
  void stop();

  // ---- FamilyOps ----
  void solicit(const inet::NeighKey& key, const inet::Addr* src, const inet::Mac* unicast) override;
  void announce(Ifindex ifindex, const inet::Addr& addr) override;
  void output(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) override;
  void ping(LcoreInet& lc, const inet::PingOrder& order) override;
  void send_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t info) override {
    icmp6_error(lc, orig, type, code, info);
  }

 private:
  struct Lcore {
    rte_ip_frag_tbl* frag = nullptr;
    rte_ip_frag_death_row death{};
  };

  static void on_ipv6(void* self, rte_mbuf** pkts, uint16_t n);
  static void on_icmp6(void* self, rte_mbuf** pkts, uint16_t n);
  Lcore* lcore_of(const LcoreInet& lc) { return lcores_[lc.lcore]; }

  // ipv6_input.cpp
  void input(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  void local_in(LcoreInet& lc, rte_mbuf** pkts, uint8_t* protos, const uint16_t* frag_offsets, uint16_t n);
  void not_ours(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  void forward(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  // ipv6_output.cpp
  void output_routed(LcoreInet& lc, rte_mbuf** pkts, uint32_t* nh, uint16_t n, bool forwarded);
  void send_one(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu, bool forwarded);
  // ipv6_frag.cpp
  rte_mbuf* reassemble(LcoreInet& lc, rte_mbuf* m, uint16_t frag_offset);
  void fragment(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& hop, uint16_t mtu);
  // icmp6.cpp
  void icmp6_input(LcoreInet& lc, rte_mbuf* m);
  void echo_reply(LcoreInet& lc, rte_mbuf* m);
  void ping_reply(LcoreInet& lc, rte_mbuf* m);
  void icmp6_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param);
  // nd.cpp
  void nd_input(LcoreInet& lc, rte_mbuf* m, uint8_t type);

  inet::Inet& inet_;
  netif::Netif& netif_;
  std::array<Lcore*, RTE_MAX_LCORE> lcores_{};
  std::vector<std::unique_ptr<Lcore>> owned_;
};

// The ICMPv6 checksum of the message at m->l3_len: stored into the packet (compute) or checked (the sum of a
// correct message, its checksum included, is 0xffff).
uint16_t icmp6_sum(const rte_mbuf* m);
void icmp6_fill_checksum(rte_mbuf* m);

}  // namespace fulcrum::ipv6
