// parse_packet: what the path takes as a flow, and what it leaves alone. Every packet here sits in an
// exact-size buffer (tight_mbuf), so that in the ASan build a read past data_len is an error, not a quiet
// read of the mbuf's slack.

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;

namespace {

ParseResult parse(const std::vector<uint8_t>& pkt, uint16_t l3_len, uint8_t family, PacketView* v = nullptr,
                  FlowKey* k = nullptr) {
  Mbuf m = tight_mbuf(pkt, l3_len);
  PacketView view;
  FlowKey key{};
  const ParseResult r = parse_packet(m.get(), family, &view, &key);
  if (v != nullptr) *v = view;
  if (k != nullptr) *k = key;
  if (r == ParseResult::flow) {
    // What the key and view point at is the packet's own.
    CHECK(view.l3 == rte_pktmbuf_mtod(m.get(), uint8_t*));
    CHECK(view.l4 == view.l3 + l3_len);
  }
  return r;
}

Spec tcp(uint8_t family) {
  Spec s = client_to_vip(endpoints(family), IPPROTO_TCP);
  s.flags = kTcpSyn;
  s.tcp_opts = linux_syn_opts();
  return s;
}

std::vector<uint8_t> cut(std::vector<uint8_t> pkt, size_t n) {
  pkt.resize(n);
  return pkt;
}

}  // namespace

TEST_CASE("parse_packet: a TCP or UDP packet gives its flow key and the TCP flags") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    const Endpoints e = endpoints(family);
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      INFO("family " << int(family) << " proto " << int(proto));
      Spec s = client_to_vip(e, proto);
      s.flags = kTcpSyn | 0x40;  // ECE too: the flags byte is taken whole
      s.payload = {1, 2, 3};
      PacketView v;
      FlowKey k;
      REQUIRE(parse(build(s), l3_len_of(s), family, &v, &k) == ParseResult::flow);
      CHECK(v.proto == proto);
      CHECK(v.family == family);
      CHECK(v.l3_len == l3_len_of(s));
      CHECK(v.tcp_flags == (proto == IPPROTO_TCP ? (kTcpSyn | 0x40) : 0));
      CHECK(k.family == family);
      CHECK(k.proto == proto);
      CHECK(std::memcmp(k.saddr, e.caddr.data(), 16) == 0);
      CHECK(std::memcmp(k.daddr, e.vaddr.data(), 16) == 0);
      CHECK(k.sport == htons(e.cport));
      CHECK(k.dport == htons(e.vport));
    }
  }
  SECTION("IPv4 options move the L4 header") {
    Spec s = tcp(4);
    s.ip_opts = {1, 1, 1, 0};
    PacketView v;
    FlowKey k;
    REQUIRE(parse(build(s), 24, 4, &v, &k) == ParseResult::flow);
    CHECK(v.l3_len == 24);
    CHECK(k.sport == htons(s.sport));
  }
}

TEST_CASE("parse_packet: a TCP header cut short at any byte is truncated, never read past the data") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    Spec s = tcp(family);
    s.payload = {9, 8, 7};
    const auto pkt = build(s);
    const size_t l3 = l3_len_of(s), hdr = l3 + 20 + s.tcp_opts.size();
    for (size_t n = l3; n < hdr; ++n) {
      INFO("family " << int(family) << ": " << n << " of " << pkt.size() << " bytes");
      CHECK(parse(cut(pkt, n), static_cast<uint16_t>(l3), family) == ParseResult::truncated);
    }
    // The header whole, with or without the payload behind it.
    CHECK(parse(cut(pkt, hdr), static_cast<uint16_t>(l3), family) == ParseResult::flow);
    CHECK(parse(pkt, static_cast<uint16_t>(l3), family) == ParseResult::flow);
  }
}

TEST_CASE("parse_packet: a UDP header cut short is truncated") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    const Spec s = client_to_vip(endpoints(family), IPPROTO_UDP);
    const auto pkt = build(s);
    const size_t l3 = l3_len_of(s);
    for (size_t n = l3; n < l3 + 8; ++n) {
      INFO("family " << int(family) << ": " << n << " bytes");
      CHECK(parse(cut(pkt, n), static_cast<uint16_t>(l3), family) == ParseResult::truncated);
    }
    CHECK(parse(pkt, static_cast<uint16_t>(l3), family) == ParseResult::flow);
  }
}

TEST_CASE("parse_packet: a TCP data offset below 5 is truncated, one beyond the data too") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    Spec s = tcp(family);
    s.tcp_opts.clear();
    s.payload.assign(60, 0xab);  // room behind the header, so that only the offset's value decides
    const auto good = build(s);
    const size_t l3 = l3_len_of(s);
    for (uint8_t doff = 0; doff < 16; ++doff) {
      auto pkt = good;
      pkt[l3 + 12] = static_cast<uint8_t>(doff << 4);
      INFO("family " << int(family) << " data offset " << int(doff));
      CHECK(parse(pkt, static_cast<uint16_t>(l3), family) == (doff < 5 ? ParseResult::truncated : ParseResult::flow));
      // Data offset 15 with fewer than 60 header bytes in the packet.
      if (doff >= 5) {
        CHECK(parse(cut(pkt, l3 + doff * 4u - 1), static_cast<uint16_t>(l3), family) == ParseResult::truncated);
      }
    }
  }
}

TEST_CASE("parse_packet: IPv4 fragments are not flows, whatever their transport header says") {
  Spec s = tcp(4);
  SECTION("first fragment: MF set, offset 0") {
    s.frag = 0x2000;
    CHECK(parse(build(s), 20, 4) == ParseResult::other);
  }
  SECTION("a later fragment: offset set, MF clear") {
    s.frag = 0x00b9;
    CHECK(parse(build(s), 20, 4) == ParseResult::other);
  }
  SECTION("a middle fragment: both") {
    s.frag = 0x2001;
    CHECK(parse(build(s), 20, 4) == ParseResult::other);
  }
  SECTION("a later fragment too short for any TCP header") {
    s.frag = 0x0010;
    const auto pkt = build(s);
    CHECK(parse(cut(pkt, 24), 20, 4) == ParseResult::other);
  }
  SECTION("DF alone is not a fragment") {
    s.frag = 0x4000;
    CHECK(parse(build(s), 20, 4) == ParseResult::flow);
  }
}

TEST_CASE("parse_packet: IPv6 with extension headers is left to the stack") {
  for (uint8_t ext : {uint8_t{8}, uint8_t{16}}) {
    Spec s = tcp(6);
    s.ext_hdr_len = ext;
    const auto pkt = build(s);
    CHECK(parse(pkt, static_cast<uint16_t>(40 + ext), 6) == ParseResult::other);
    // Even when what follows the fixed header is cut off: l3_len alone decides.
    CHECK(parse(cut(pkt, 40 + ext), static_cast<uint16_t>(40 + ext), 6) == ParseResult::other);
  }
}

TEST_CASE("parse_packet: ICMP of the packet's own family goes to the ICMP path, of the other family nowhere") {
  // An IPv4 header with protocol 1 or 58, and an IPv6 one with next header 58 or 1, followed by 8 bytes.
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_ICMP}, uint8_t{IPPROTO_ICMPV6}}) {
      Spec s = client_to_vip(endpoints(family), IPPROTO_UDP);
      auto pkt = build(s);
      const size_t l3 = l3_len_of(s);
      pkt[family == 4 ? 9 : 6] = proto;
      const bool own = (family == 4) == (proto == IPPROTO_ICMP);
      INFO("family " << int(family) << " proto " << int(proto));
      CHECK(parse(pkt, static_cast<uint16_t>(l3), family) == (own ? ParseResult::icmp : ParseResult::other));
      // Nothing of the ICMP header is read here (on_icmp checks its length): an empty one is still ICMP.
      CHECK(parse(cut(pkt, l3), static_cast<uint16_t>(l3), family) == (own ? ParseResult::icmp : ParseResult::other));
    }
  }
}

TEST_CASE("parse_packet: other transports are not ours") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{47} /* GRE */, uint8_t{132} /* SCTP */, uint8_t{50} /* ESP */}) {
      auto pkt = build(client_to_vip(endpoints(family), IPPROTO_UDP));
      const size_t l3 = family == 4 ? 20 : 40;
      pkt[family == 4 ? 9 : 6] = proto;
      CHECK(parse(cut(pkt, l3), static_cast<uint16_t>(l3), family) == ParseResult::other);
    }
  }
}
