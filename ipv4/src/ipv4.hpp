#pragma once
// The IPv4 layer: ARP, the IPv4 input, forward and output paths, ICMP, fragmentation and reassembly. It owns
// no table: addresses, routes and neighbours are inet's, shared with IPv6 and replicated per worker. The
// packet path works a burst at a time on the worker that received it.
//
// Input:   validate (one counter per reason) -> pre_routing hooks -> ours? (address lookup, a burst at once)
//            ours:      reassemble fragments -> local_in hooks -> protocol (ICMP here, others registered,
//                       else the kernel)
//            not ours:  broadcast, multicast, or forwarding off -> the kernel
//                       forwarding on -> route (a burst at once) -> forward hooks -> TTL -> output
// Output:  local_out hooks -> route -> post_routing hooks -> MTU (fragment, or ICMP "fragmentation needed")
//          -> neighbour -> Ethernet header -> netif
// ARP:     requests for our addresses on the device they came in on are answered; what ARP shows of a
//          neighbour goes to the master; everything else, and a copy of what we consumed, to the kernel.

#include <array>
#include <cstdint>

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"

namespace fulcrum::ipv4 {

using inet::Ctr;
using inet::Family;
using inet::Ifindex;
using inet::LcoreInet;

constexpr uint16_t kBurst = 32;

// ICMP types beyond the echo ones DPDK names (RFC 792).
constexpr uint8_t kIcmpDestUnreach = 3;
constexpr uint8_t kIcmpSourceQuench = 4;
constexpr uint8_t kIcmpRedirect = 5;
constexpr uint8_t kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmpParamProblem = 12;

class Ipv4 final : public inet::FamilyOps {
 public:
  explicit Ipv4(inet::Inet& inet);
  ~Ipv4() override;

  void init(core::ModuleContext& ctx);
  void stop();

  // ---- FamilyOps ----
  void solicit(const inet::NeighKey& key, const inet::Addr* src, const inet::Mac* unicast) override;
  void announce(Ifindex ifindex, const inet::Addr& addr) override;
  void output(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) override;
  void ping(LcoreInet& lc, const inet::PingOrder& order) override;
  void send_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t info) override {
    icmp_error(lc, orig, type, code, static_cast<uint16_t>(info));
  }

 private:
  // What one worker keeps for IPv4 beyond inet's state: its reassembly table.
  struct Lcore {
    rte_ip_frag_tbl* frag = nullptr;
    rte_ip_frag_death_row death{};
  };

  static void on_ipv4(void* self, rte_mbuf** pkts, uint16_t n);
  static void on_arp(void* self, rte_mbuf** pkts, uint16_t n);
  static void on_icmp(void* self, rte_mbuf** pkts, uint16_t n);
  Lcore* lcore_of(const LcoreInet& lc) { return lcores_[lc.lcore]; }

  // ipv4_input.cpp
  void input(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  void local_in(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  void not_ours(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  void forward(LcoreInet& lc, rte_mbuf** pkts, uint16_t n);
  // ipv4_output.cpp: packets routed to next-hop slots `nh`.
  void output_routed(LcoreInet& lc, rte_mbuf** pkts, uint32_t* nh, uint16_t n, bool forwarded);
  void send_one(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& nh, uint16_t mtu, bool forwarded);
  // ipv4_frag.cpp
  rte_mbuf* reassemble(LcoreInet& lc, rte_mbuf* m);
  void fragment(LcoreInet& lc, rte_mbuf* m, const inet::NextHop& nh, uint16_t mtu);
  // icmp.cpp
  void icmp_input(LcoreInet& lc, rte_mbuf* m);
  void echo_reply(LcoreInet& lc, rte_mbuf* m);
  void ping_reply(LcoreInet& lc, rte_mbuf* m);
  // An ICMP error about `orig` (which stays the caller's), to its source; rate limited.
  void icmp_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint16_t mtu);
  // arp.cpp
  void arp_input(LcoreInet& lc, rte_mbuf* m);

  inet::Inet& inet_;
  netif::Netif& netif_;
  std::array<Lcore*, RTE_MAX_LCORE> lcores_{};
  std::vector<std::unique_ptr<Lcore>> owned_;
  uint64_t frag_cycles_ = 0;
};

}  // namespace fulcrum::ipv4
