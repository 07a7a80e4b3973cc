// DR's and TUN's way out (Egress::to_dest): the route towards the real server's address decides the device,
// the next hop (the real server itself on its segment, else the route's gateway) and, for TUN, our source
// address; the packet then goes straight to inet's neighbour step, which puts the next hop's MAC in front of
// whatever IP header the module left. Uses only inet's per-lcore tables: no allocation, no lock.

#include "dest_egress.hpp"
#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {

bool IpvsDataplane::route_to_dest(LcoreIpvs& L, const Conn& c, const ForwardOps& ops, rte_mbuf* m, const PacketView& v,
                                  EgressRoute* r) {
  inet::LcoreInet* lc = inet_.lcore();
  const inet::Family fam = v.family == 4 ? inet::Family::v4 : inet::Family::v6;
  const uint32_t slot = lc != nullptr ? lc->tables->route(inet::Addr::from_bytes(fam, c.daddr)) : 0;
  if (slot == 0) {
    L.add(DpCtr::dest_no_route);
    return false;
  }
  const inet::NextHop& hop = lc->tables->nexthop(slot);
  const inet::IfView& ifv = lc->tables->ifv(hop.ifindex);
  if (ifv.mtu == 0) {  // the device went away under the route
    L.add(DpCtr::dest_no_route);
    return false;
  }
  const uint16_t overhead = v.family == 4 ? ops.in_overhead4 : ops.in_overhead6;
  uint16_t tell = 0;
  switch (check_fit(m->pkt_len, v, overhead, ifv.mtu, &tell)) {
    case Fit::fits:
      break;
    case Fit::tell:
      L.add(DpCtr::dest_too_big);
      // Path MTU discovery: the client learns what fits once the outer header is on (from the VIP, which
      // the packet was sent to: icmp_error answers from an address of ours that the packet named).
      inet_.family(fam)->send_error(*lc, m, v.family == 4 ? 3 : 2, v.family == 4 ? 4 : 0, tell);
      return false;
    case Fit::drop:
      L.add(DpCtr::dest_too_big);
      return false;
  }
  r->ifindex = hop.ifindex;
  r->mtu = ifv.mtu;
  const size_t alen = v.family == 4 ? 4 : 16;
  std::memcpy(r->nexthop.data(), hop.has_gateway() && !ops.dest_is_nexthop ? hop.gateway.data() : c.daddr, alen);
  const unsigned fi = inet::family_index(fam);
  r->has_src = ifv.has_src[fi];
  if (r->has_src) std::memcpy(r->src.data(), ifv.src[fi].data(), alen);
  return true;
}

inet::Verdict IpvsDataplane::icmp_to_dest(LcoreIpvs& L, Conn& c, const ForwardOps& ops, ConnDir dir, rte_mbuf* m,
                                          PacketView& v) {
  // The replies leave the real server from the VIP, so an error about one quotes VIP -> client, whose
  // reversed tuple is the connection's in-direction. Anything else is not about a reply of ours.
  if (dir != ConnDir::in) {
    L.add(DpCtr::icmp_unmatched);
    return inet::Verdict::accept;
  }
  EgressRoute r;
  if (!route_to_dest(L, c, ops, m, v, &r)) return inet::Verdict::drop;
  // The module's own in-direction: nothing for DR, the outer header for TUN (it reads only the IP header).
  ForwardContext ctx{nullptr, &r};
  if (!ops.in(L, c, ctx, m, v)) return inet::Verdict::drop;
  L.add(DpCtr::icmp_relayed);
  send_to_dest(v.family == 4 ? inet::Family::v4 : inet::Family::v6, r, m);
  return inet::Verdict::stolen;
}

void IpvsDataplane::send_to_dest(inet::Family f, const EgressRoute& r, rte_mbuf* m) {
  inet_.neigh_send(*inet_.lcore(), f, r.ifindex, r.nexthop.data(), m);
}

}  // namespace fulcrum::ipvs
