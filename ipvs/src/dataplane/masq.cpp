// NAT (masquerade): client -> VIP:vport becomes client -> real server:rport, and the real server's reply,
// which comes back through the balancer because the balancer is its gateway, becomes VIP:vport -> client.
// The real server sees the client's own address. Both rewrites are incremental (rewrite_tuple).
//
// The connection indexes the reply tuple real server -> client: create() sets laddr/lport to the client's
// address and port for a method without local addresses, so the reply finds the connection as FullNAT's
// does, and icmp_relay.cpp's translation (which maps laddr <-> daddr and caddr <-> vaddr) is NAT's as well.

#include "forward.hpp"
#include "lcore_ipvs.hpp"

namespace fulcrum::ipvs {
namespace {

bool masq_in(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)ctx, (void)m;
  rewrite_tuple(v, c.caddr, c.cport, c.daddr, c.dport);
  return true;
}

bool masq_out(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)ctx, (void)m;
  rewrite_tuple(v, c.vaddr, c.vport, c.caddr, c.cport);
  return true;
}

}  // namespace

extern const ForwardOps kMasqOps = {.name = "nat", .in = &masq_in, .out = &masq_out};

}  // namespace fulcrum::ipvs
