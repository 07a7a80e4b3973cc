// DR (kDrouteOps) and the core's way out towards a real server (Egress::to_dest): the packet is not touched
// at all, the core routes it towards the real server's address, and a packet too big for the egress device
// is answered (DF / IPv6) or dropped. Without inet's tables (this core never starts inet) there is no route.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "dataplane/dest_egress.hpp"
#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using Access = fulcrum::ipvs::DataplaneTestAccess;

namespace fulcrum::ipvs {
extern const ForwardOps kDrouteOps;
extern const ForwardOps kTunnelOps;
}  // namespace fulcrum::ipvs

TEST_CASE("dr: the module is registered and sends towards the real server without rewriting") {
  const ForwardOps* ops = forward_ops(ForwardMethod::droute);
  REQUIRE(ops == &kDrouteOps);
  CHECK(std::string(ops->name) == "dr");
  CHECK_FALSE(ops->needs_laddr);
  CHECK(ops->in_egress == Egress::to_dest);
  CHECK(ops->in_overhead4 == 0);
  CHECK(ops->in_overhead6 == 0);
  CHECK_FALSE(ops->relay_icmp);
  CHECK(ops->dest_is_nexthop);
  CHECK_FALSE(kTunnelOps.dest_is_nexthop);
  CHECK(forward_ops(ForwardMethod::masq)->in_egress == Egress::ip);
  CHECK(forward_ops(ForwardMethod::fullnat)->in_egress == Egress::ip);
  CHECK(forward_ops(ForwardMethod::tunnel) == &kTunnelOps);
}

TEST_CASE("dr: both directions leave the packet byte for byte as it came") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      INFO("family " << int(family) << " proto " << int(proto));
      Endpoints e = endpoints(family);
      Conn c{};
      fill_conn(c, e, proto);
      c.forward = static_cast<uint8_t>(ForwardMethod::droute);
      LcoreIpvs L;
      EgressRoute route;
      route.mtu = 1500;
      route.ifindex = 1;
      ForwardContext ctx{nullptr, &route};
      Spec s = client_to_vip(e, proto);
      s.payload = {1, 2, 3};
      const auto before = build(s);
      Pkt p = packet(s);
      REQUIRE(kDrouteOps.in(L, c, ctx, p.m.get(), p.v));
      CHECK(bytes_of(p.m.get()) == before);
      Pkt q = packet(s);
      REQUIRE(kDrouteOps.out(L, c, ForwardContext{}, q.m.get(), q.v));
      CHECK(bytes_of(q.m.get()) == before);
    }
  }
}

TEST_CASE("dr: a connection indexes the real server's tuple to the client and takes no local port") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    Core core;
    const Endpoints e = endpoints(family);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP, false, ForwardMethod::droute);
    Spec s = client_to_vip(e, IPPROTO_TCP);
    s.flags = kTcpSyn;
    Pkt syn = packet(s);
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    CHECK(c->forward == static_cast<uint8_t>(ForwardMethod::droute));
    CHECK(std::memcmp(c->laddr, e.caddr.data(), 16) == 0);
    CHECK(core.ports.free_ports(core.laddr_id()) == 4);
    // This core has no inet tables: no route towards the real server, so the packet is dropped and counted.
    EgressRoute route;
    CHECK_FALSE(Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v, &route));
    CHECK(route.mtu == 0);
    CHECK(ctr(core.L, DpCtr::dest_no_route) == 1);
    // The connection still took the packet's state: the next SYN retransmission meets it.
    CHECK(c->state == static_cast<uint8_t>(TcpState::syn_recv));
  }
}

TEST_CASE("egress: whether a packet fits the device once the module's header is on") {
  const Endpoints e4 = endpoints(4);
  const Endpoints e6 = endpoints(6);
  uint16_t tell = 0;
  auto view = [](const Spec& s, Mbuf& keep) {
    keep = pool_mbuf(build(s), l3_len_of(s));
    PacketView v;
    FlowKey k;
    REQUIRE(parse_packet(keep.get(), s.family, &v, &k) == ParseResult::flow);
    return v;
  };
  Mbuf m;
  Spec df = client_to_vip(e4, IPPROTO_TCP);
  df.frag = 0x4000;
  df.payload.assign(1460, 0x5a);  // 1500 bytes
  const PacketView vdf = view(df, m);
  CHECK(check_fit(1500, vdf, 0, 1500, &tell) == Fit::fits);
  CHECK(check_fit(1500, vdf, 20, 1500, &tell) == Fit::tell);
  CHECK(tell == 1480);
  CHECK(check_fit(1480, vdf, 20, 1500, &tell) == Fit::fits);
  Spec nodf = df;
  nodf.frag = 0;
  const PacketView vnodf = view(nodf, m);
  CHECK(check_fit(1500, vnodf, 20, 1500, &tell) == Fit::drop);
  CHECK(check_fit(1501, vnodf, 0, 1500, &tell) == Fit::drop);
  Spec six = client_to_vip(e6, IPPROTO_UDP);
  const PacketView v6 = view(six, m);
  CHECK(check_fit(1500, v6, 40, 1500, &tell) == Fit::tell);
  CHECK(tell == 1460);
  // Never below IPv6's minimum link MTU.
  CHECK(check_fit(1300, v6, 40, 1300, &tell) == Fit::tell);
  CHECK(tell == 1280);
  CHECK(check_fit(1260, v6, 40, 1300, &tell) == Fit::fits);
}

TEST_CASE("dr: the TCP state follows the client's segments alone (the kernel's input-only table)") {
  CHECK(kDrouteOps.input_only);
  CHECK(kTunnelOps.input_only);
  CHECK_FALSE(forward_ops(ForwardMethod::masq)->input_only);
  CHECK_FALSE(forward_ops(ForwardMethod::fullnat)->input_only);
  for (ForwardMethod method : {ForwardMethod::droute, ForwardMethod::masq}) {
    INFO("method " << to_string(method));
    Core core;
    const Endpoints e = endpoints(4);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP, false, method);
    Spec s = client_to_vip(e, IPPROTO_TCP);
    s.flags = kTcpSyn;
    Pkt syn = packet(s);
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    EgressRoute route;
    Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v, &route);
    CHECK(c->state == static_cast<uint8_t>(TcpState::syn_recv));
    s.flags = kTcpAck;
    Pkt ack = packet(s);
    Access::forward(*core.dp, core.L, *c, ConnDir::in, ack.m.get(), ack.v, &route);
    CHECK(c->state == static_cast<uint8_t>(TcpState::established));
    CHECK(svc.dests[0].activeconns == 1);
    // The client's FIN: with replies unseen the connection is closing (FIN_WAIT); with replies seen the
    // kernel's input table says CLOSE_WAIT.
    s.flags = kTcpFin | kTcpAck;
    Pkt fin = packet(s);
    Access::forward(*core.dp, core.L, *c, ConnDir::in, fin.m.get(), fin.v, &route);
    CHECK(c->state ==
          static_cast<uint8_t>(method == ForwardMethod::droute ? TcpState::fin_wait : TcpState::close_wait));
  }
}

TEST_CASE("dr: an ICMP error about the real server's reply goes on to the real server, untranslated") {
  Core core;
  const Endpoints e = endpoints(4);
  Conn* c = core.L.conns->alloc();
  REQUIRE(c != nullptr);
  fill_conn(*c, e, IPPROTO_TCP);
  std::memcpy(c->laddr, e.caddr.data(), 16);  // DR: the reply tuple is real server -> client
  c->lport = htons(e.cport);
  c->forward = static_cast<uint8_t>(ForwardMethod::droute);
  REQUIRE(core.L.conns->insert(c));
  // A router on the way back tells the VIP that the reply VIP -> client was too big.
  Spec reply = client_to_vip(e, IPPROTO_TCP);
  std::swap(reply.src, reply.dst);
  std::swap(reply.sport, reply.dport);
  const auto quote = build(reply);
  std::vector<uint8_t> msg = {3, 4, 0, 0, 0, 0, 0x05, 0x00};
  msg.insert(msg.end(), quote.begin(), quote.end());
  wr16(&msg[2], ref_fold_not(ref_sum(0, msg.data(), msg.size())));
  std::vector<uint8_t> pkt(20, 0);
  pkt[0] = 0x45;
  wr16(&pkt[2], static_cast<uint16_t>(20 + msg.size()));
  pkt[8] = 64;
  pkt[9] = IPPROTO_ICMP;
  const Addr router = v4(192, 0, 2, 1);
  std::memcpy(&pkt[12], router.data(), 4);
  std::memcpy(&pkt[16], e.vaddr.data(), 4);
  wr16(&pkt[10], ref_ip4(pkt.data(), 20));
  pkt.insert(pkt.end(), msg.begin(), msg.end());
  Mbuf m = pool_mbuf(pkt, 20);
  PacketView v;
  FlowKey k;
  REQUIRE(parse_packet(m.get(), 4, &v, &k) == ParseResult::icmp);
  rte_mbuf* out[4];
  unsigned n_out = 0;
  // This core has no route towards the real server: the error is dropped there, and counted; the packet is
  // not put on the IP output (which would send it back to the VIP's side) and not translated.
  CHECK(Access::on_icmp(*core.dp, core.L, m.get(), v, out, &n_out) == fulcrum::inet::Verdict::drop);
  CHECK(n_out == 0);
  CHECK(ctr(core.L, DpCtr::dest_no_route) == 1);
  CHECK(ctr(core.L, DpCtr::icmp_relayed) == 0);
  CHECK(bytes_of(m.get()) == pkt);
}
