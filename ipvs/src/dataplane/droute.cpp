// DR (direct routing): the client's packet leaves unchanged at L3, to the real server's MAC on the balancer's
// segment; the real server holds the VIP on a loopback device (arp_ignore=1, arp_announce=2 so that it never
// claims the VIP on the wire) and answers the client directly. Only the in-direction passes the balancer.
//
// The module has nothing to rewrite: the core routes the packet towards the real server's address
// (Egress::to_dest) for the device, and hands it to inet's neighbour step with the real server itself as next
// hop (dest_is_nexthop, even behind a gateway route, as the kernel's KNOWN_NH), so the Ethernet header names
// the real server while the IP header still names the VIP. As the kernel's IPVS, the TTL is not lowered: the
// balancer is not a router hop here.

#include "forward.hpp"
#include "lcore_ipvs.hpp"

namespace fulcrum::ipvs {
namespace {

bool droute_in(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)c, (void)ctx, (void)m, (void)v;
  return true;
}

// A reply that passes the balancer after all (the real server routes through it): passed on unchanged,
// by its own destination, as the kernel's IPVS leaves DR replies to plain forwarding.
bool droute_out(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)c, (void)ctx, (void)m, (void)v;
  return true;
}

}  // namespace

extern const ForwardOps kDrouteOps = {.name = "dr",
                                      .in = &droute_in,
                                      .out = &droute_out,
                                      .in_egress = Egress::to_dest,
                                      .relay_icmp = false,
                                      .input_only = true,
                                      .dest_is_nexthop = true};

}  // namespace fulcrum::ipvs
