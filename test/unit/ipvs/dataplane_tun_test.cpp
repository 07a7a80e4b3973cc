// TUN (kTunnelOps): the client's packet, byte for byte, inside an outer IPv4 (IPIP) or IPv6 header from our
// address on the egress device to the real server, with the inner TOS / TTL / DF carried over and (IPv4) a
// header checksum the reference agrees with.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;

namespace fulcrum::ipvs {
extern const ForwardOps kTunnelOps;
}

namespace {

struct Tun {
  explicit Tun(uint8_t family, uint8_t proto = IPPROTO_TCP) : e(endpoints(family)) {
    fill_conn(c, e, proto);
    c.forward = static_cast<uint8_t>(ForwardMethod::tunnel);
    route.mtu = 1500;
    route.ifindex = 2;
    route.has_src = true;
    // The balancer's own address on the real servers' side.
    route.src = family == 4 ? v4(10, 0, 1, 1) : v6("fd00:1::1");
  }
  Endpoints e;
  Conn c{};
  LcoreIpvs L;
  EgressRoute route;
};

}  // namespace

TEST_CASE("tun: registered for ForwardMethod::tunnel, routed towards the real server, with its header counted") {
  const ForwardOps* ops = forward_ops(ForwardMethod::tunnel);
  REQUIRE(ops == &kTunnelOps);
  CHECK(ops->in_egress == Egress::to_dest);
  CHECK(ops->in_overhead4 == 20);
  CHECK(ops->in_overhead6 == 40);
  CHECK_FALSE(ops->needs_laddr);
  CHECK_FALSE(ops->relay_icmp);
}

TEST_CASE("tun: IPv4 in IPv4 and IPv6 in IPv6 around the untouched client packet") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (bool df : {true, false}) {
      for (Layout layout : {Layout::pool, Layout::tight}) {
        INFO("family " << int(family) << " df " << df);
        Tun t(family);
        Spec s = client_to_vip(t.e, IPPROTO_TCP);
        s.flags = kTcpSyn;
        s.tcp_opts = linux_syn_opts();
        if (df && family == 4) s.frag = 0x4000;
        const auto inner = build(s);
        const uint16_t hl = family == 4 ? 20 : 40;
        Mbuf m = layout == Layout::pool ? pool_mbuf(inner, l3_len_of(s)) : tight_mbuf(inner, l3_len_of(s), hl);
        PacketView v;
        FlowKey k;
        REQUIRE(parse_packet(m.get(), family, &v, &k) == ParseResult::flow);
        REQUIRE(kTunnelOps.in(t.L, t.c, ForwardContext{nullptr, &t.route}, m.get(), v));
        CHECK(ctr(t.L, DpCtr::tun_encapsulated) == 1);
        CHECK(m->l3_len == hl);
        CHECK(v.l3 == rte_pktmbuf_mtod(m.get(), uint8_t*));
        const auto got = bytes_of(m.get());
        REQUIRE(got.size() == inner.size() + hl);
        // The inner packet is exactly the client's.
        CHECK(std::vector<uint8_t>(got.begin() + hl, got.end()) == inner);
        const size_t n = alen(family);
        if (family == 4) {
          CHECK(got[0] == 0x45);
          CHECK(got[1] == inner[1]);                  // TOS
          CHECK(rd16(&got[2]) == inner.size() + 20);  // total length
          CHECK((rd16(&got[6]) & 0x4000) == (df ? 0x4000 : 0));
          CHECK((rd16(&got[6]) & 0x3fff) == 0);
          CHECK(got[8] == inner[8]);  // TTL
          CHECK(got[9] == 4);         // IPIP
          CHECK(rd16(&got[10]) == ref_ip4(got.data(), 20));
          CHECK(std::equal(t.route.src.begin(), t.route.src.begin() + 4, got.begin() + 12));
          CHECK(std::equal(t.e.daddr.begin(), t.e.daddr.begin() + 4, got.begin() + 16));
        } else {
          CHECK((got[0] >> 4) == 6);
          CHECK(((got[0] & 0x0f) << 4 | got[1] >> 4) == ((inner[0] & 0x0f) << 4 | inner[1] >> 4));  // class
          CHECK(rd16(&got[4]) == inner.size());  // payload length: the whole inner packet
          CHECK(got[6] == 41);
          CHECK(got[7] == inner[7]);  // hop limit
          CHECK(std::equal(t.route.src.begin(), t.route.src.begin() + static_cast<long>(n), got.begin() + 8));
          CHECK(std::equal(t.e.daddr.begin(), t.e.daddr.begin() + static_cast<long>(n), got.begin() + 24));
        }
      }
    }
  }
}

TEST_CASE("tun: without our address on the egress device, or without headroom, the packet is dropped") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    Tun t(family, IPPROTO_UDP);
    Spec s = client_to_vip(t.e, IPPROTO_UDP);
    s.payload = {1, 2};
    Mbuf m = pool_mbuf(build(s), l3_len_of(s));
    PacketView v;
    FlowKey k;
    REQUIRE(parse_packet(m.get(), family, &v, &k) == ParseResult::flow);
    t.route.has_src = false;
    CHECK_FALSE(kTunnelOps.in(t.L, t.c, ForwardContext{nullptr, &t.route}, m.get(), v));
    CHECK(ctr(t.L, DpCtr::tun_no_source) == 1);
    t.route.has_src = true;
    Mbuf tight = tight_mbuf(build(s), l3_len_of(s), 4);
    REQUIRE(parse_packet(tight.get(), family, &v, &k) == ParseResult::flow);
    CHECK_FALSE(kTunnelOps.in(t.L, t.c, ForwardContext{nullptr, &t.route}, tight.get(), v));
    CHECK(ctr(t.L, DpCtr::no_mbuf_room) == 1);
  }
}
