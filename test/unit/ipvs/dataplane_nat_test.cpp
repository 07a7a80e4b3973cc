// NAT (masquerade, kMasqOps): client -> VIP becomes client -> real server, the reply real server -> client
// becomes VIP -> client; the connection is found by the reply's tuple because create() indexes real server ->
// client for a method without local addresses. Checksums are judged by the test's own reference.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using Access = fulcrum::ipvs::DataplaneTestAccess;

namespace fulcrum::ipvs {
extern const ForwardOps kMasqOps;
}

namespace {

// NAT's endpoints: there is no local address; the reply goes to the client itself.
Endpoints nat_endpoints(uint8_t family) {
  Endpoints e = endpoints(family);
  e.laddr = e.caddr;
  e.lport = e.cport;
  return e;
}

}  // namespace

TEST_CASE("nat: the client's packets go to the real server, its replies come back from the VIP") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      INFO("family " << int(family) << " proto " << int(proto));
      const Endpoints e = nat_endpoints(family);
      Conn c{};
      fill_conn(c, e, proto);
      c.forward = static_cast<uint8_t>(ForwardMethod::masq);
      LcoreIpvs L;
      ForwardContext ctx{};

      Spec in = client_to_vip(e, proto);
      in.payload = {1, 2, 3, 4, 5, 6, 7};
      const auto in_bytes = build(in);
      Pkt p = packet(in);
      REQUIRE(kMasqOps.in(L, c, ctx, p.m.get(), p.v));
      check_rewritten(in_bytes, decode(bytes_of(p.m.get())), e.caddr, e.cport, e.daddr, e.dport);

      Spec out = server_to_laddr(e, proto);
      out.payload = {9, 8, 7, 6};
      const auto out_bytes = build(out);
      Pkt q = packet(out);
      REQUIRE(kMasqOps.out(L, c, ctx, q.m.get(), q.v));
      check_rewritten(out_bytes, decode(bytes_of(q.m.get())), e.vaddr, e.vport, e.caddr, e.cport);
    }
  }
}

TEST_CASE("nat: an IPv4 UDP datagram without a checksum keeps none both ways") {
  const Endpoints e = nat_endpoints(4);
  Conn c{};
  fill_conn(c, e, IPPROTO_UDP);
  LcoreIpvs L;
  for (bool inbound : {true, false}) {
    Spec s = inbound ? client_to_vip(e, IPPROTO_UDP) : server_to_laddr(e, IPPROTO_UDP);
    s.udp_nocsum = true;
    s.payload = {1, 2, 3};
    Pkt p = packet(s);
    REQUIRE((inbound ? kMasqOps.in : kMasqOps.out)(L, c, ForwardContext{}, p.m.get(), p.v));
    CHECK(decode(bytes_of(p.m.get())).csum == 0);
  }
}

TEST_CASE("nat: random payloads and checksums stay right through both rewrites") {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    const uint8_t family = i % 2 ? 4 : 6;
    const uint8_t proto = i % 3 ? IPPROTO_TCP : IPPROTO_UDP;
    Endpoints e = nat_endpoints(family);
    e.cport = static_cast<uint16_t>(rng());
    e.dport = static_cast<uint16_t>(rng() | 1);
    e.lport = e.cport;
    Conn c{};
    fill_conn(c, e, proto);
    LcoreIpvs L;
    Spec s = client_to_vip(e, proto);
    s.payload = random_bytes(rng, rng() % 300);
    const auto before = build(s);
    Pkt p = packet(s);
    REQUIRE(kMasqOps.in(L, c, ForwardContext{}, p.m.get(), p.v));
    check_rewritten(before, decode(bytes_of(p.m.get())), e.caddr, e.cport, e.daddr, e.dport);
  }
}

TEST_CASE("nat: a connection made for a SYN is found by the real server's reply to the client") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Core core;
    const Endpoints e = nat_endpoints(family);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP, false, ForwardMethod::masq);
    Spec s = client_to_vip(e, IPPROTO_TCP);
    s.flags = kTcpSyn;
    s.tcp_opts = linux_syn_opts();
    Pkt syn = packet(s);
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    CHECK(c->forward == static_cast<uint8_t>(ForwardMethod::masq));
    // No local port is taken.
    CHECK(core.ports.free_ports(core.laddr_id()) == 4);
    CHECK(std::memcmp(c->laddr, e.caddr.data(), 16) == 0);
    CHECK(c->lport == htons(e.cport));
    EgressRoute route;
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v, &route));
    CHECK(route.mtu == 0);  // by its own destination, Inet::output
    CHECK(decode(bytes_of(syn.m.get())).dport == e.dport);
    CHECK(c->state == static_cast<uint8_t>(TcpState::syn_recv));

    Spec r = server_to_laddr(e, IPPROTO_TCP);
    r.flags = kTcpSyn | kTcpAck;
    Pkt reply = packet(r);
    ConnDir dir;
    REQUIRE(core.L.conns->lookup(reply.k, &dir) == c);
    CHECK(dir == ConnDir::out);
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::out, reply.m.get(), reply.v));
    const Decoded d = decode(bytes_of(reply.m.get()));
    CHECK(d.sport == e.vport);
    CHECK(d.csum == d.ref_csum);
    CHECK(svc.stats.inpkts.load() == 1);
    CHECK(svc.stats.outpkts.load() == 1);
  }
}

TEST_CASE("nat: an ICMP error from the real server reaches the client about the packet it sent to the VIP") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Core core;
    const Endpoints e = nat_endpoints(family);
    Conn* c = core.L.conns->alloc();
    REQUIRE(c != nullptr);
    fill_conn(*c, e, IPPROTO_UDP);
    c->forward = static_cast<uint8_t>(ForwardMethod::masq);
    REQUIRE(core.L.conns->insert(c));
    // What the real server got from us: client -> real server; it answers "port unreachable" to the client.
    Spec sent = client_to_vip(e, IPPROTO_UDP);
    sent.dst = e.daddr;
    sent.dport = e.dport;
    sent.payload = {1, 2, 3, 4};
    const auto quote = build(sent);
    std::vector<uint8_t> msg = {
        family == 4 ? uint8_t{3} : uint8_t{1}, family == 4 ? uint8_t{3} : uint8_t{4}, 0, 0, 0, 0, 0, 0};
    msg.insert(msg.end(), quote.begin(), quote.end());
    std::vector<uint8_t> pkt(family == 4 ? 20 : 40, 0);
    const size_t n = alen(family);
    if (family == 4) {
      wr16(&msg[2], ref_fold_not(ref_sum(0, msg.data(), msg.size())));
      pkt[0] = 0x45;
      wr16(&pkt[2], static_cast<uint16_t>(20 + msg.size()));
      pkt[8] = 64;
      pkt[9] = IPPROTO_ICMP;
      std::memcpy(&pkt[12], e.daddr.data(), n);
      std::memcpy(&pkt[16], e.caddr.data(), n);
      wr16(&pkt[10], ref_ip4(pkt.data(), 20));
    } else {
      wr16(&msg[2], ref_l4(6, e.daddr.data(), e.caddr.data(), IPPROTO_ICMPV6, msg.data(), msg.size(), 2));
      pkt[0] = 0x60;
      wr16(&pkt[4], static_cast<uint16_t>(msg.size()));
      pkt[6] = IPPROTO_ICMPV6;
      pkt[7] = 64;
      std::memcpy(&pkt[8], e.daddr.data(), n);
      std::memcpy(&pkt[24], e.caddr.data(), n);
    }
    pkt.insert(pkt.end(), msg.begin(), msg.end());
    Mbuf m = pool_mbuf(pkt, family == 4 ? 20 : 40);
    PacketView v;
    FlowKey k;
    REQUIRE(parse_packet(m.get(), family, &v, &k) == ParseResult::icmp);
    rte_mbuf* out[4];
    unsigned n_out = 0;
    CHECK(Access::on_icmp(*core.dp, core.L, m.get(), v, out, &n_out) == fulcrum::inet::Verdict::stolen);
    REQUIRE(n_out == 1);
    const auto got = bytes_of(m.get());
    const size_t l3 = family == 4 ? 20 : 40;
    // Outer: from the VIP to the client; the quote: the packet the client sent, client -> VIP.
    const size_t src_at = family == 4 ? 12 : 8;
    const size_t dst_at = family == 4 ? 16 : 24;
    CHECK(std::equal(e.vaddr.begin(), e.vaddr.begin() + static_cast<long>(n), got.begin() + static_cast<long>(src_at)));
    CHECK(std::equal(e.caddr.begin(), e.caddr.begin() + static_cast<long>(n), got.begin() + static_cast<long>(dst_at)));
    const std::vector<uint8_t> q(got.begin() + static_cast<long>(l3 + 8), got.end());
    Spec orig = client_to_vip(e, IPPROTO_UDP);
    orig.payload = {1, 2, 3, 4};
    const auto want = build(orig);
    const Decoded dq = decode(q);
    const Decoded dw = decode(want);
    CHECK(dq.src == dw.src);
    CHECK(dq.dst == dw.dst);
    CHECK(dq.sport == dw.sport);
    CHECK(dq.dport == dw.dport);
    CHECK(dq.csum == dw.csum);
    // The outer ICMP checksum holds.
    if (family == 4) {
      CHECK(ref_fold_not(ref_sum(0, got.data() + l3, got.size() - l3)) == 0);
    } else {
      CHECK(ref_l4(6, got.data() + 8, got.data() + 24, IPPROTO_ICMPV6, got.data() + l3, got.size() - l3, 2) ==
            rd16(got.data() + l3 + 2));
    }
    CHECK(ctr(core.L, DpCtr::icmp_relayed) == 1);
  }
}
