// rewrite_tuple: the incremental checksum update of every FullNAT packet, judged by the test's own
// from-scratch RFC 1071 sum over the rewritten packet (pseudo header included).

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;

namespace {

Addr random_addr(std::mt19937& rng, uint8_t family) {
  Addr a{};
  for (size_t i = 0; i < alen(family); ++i) a[i] = static_cast<uint8_t>(rng());
  return a;
}

// Rewrites `pkt` to the tuple (src, sport, dst, dport), ports host order, through parse_packet as the path does.
std::vector<uint8_t> rewrite(Layout layout, const std::vector<uint8_t>& pkt, uint16_t l3_len, const Addr& src,
                             uint16_t sport, const Addr& dst, uint16_t dport) {
  Mbuf m = make_mbuf(layout, pkt, l3_len);
  PacketView v;
  FlowKey k;
  const uint8_t family = pkt[0] >> 4;
  REQUIRE(parse_packet(m.get(), family, &v, &k) == ParseResult::flow);
  rewrite_tuple(v, src.data(), htons(sport), dst.data(), htons(dport));
  return bytes_of(m.get());
}

// Everything but the tuple and the L4 checksum (and, for IPv4, the header checksum that output recomputes)
// is as it was.
void check_only_tuple_changed(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after) {
  REQUIRE(before.size() == after.size());
  const uint8_t family = before[0] >> 4;
  const Decoded a = decode(before);
  for (size_t i = 0; i < before.size(); ++i) {
    bool tuple;
    if (family == 4) {
      tuple = (i >= 10 && i < 20);  // checksum, addresses
    } else {
      tuple = (i >= 8 && i < 40);
    }
    const size_t l4 = a.l3_len;
    const size_t ck = l4 + (a.proto == IPPROTO_TCP ? 16 : 6);
    tuple = tuple || (i >= l4 && i < l4 + 4) || i == ck || i == ck + 1;
    if (!tuple && before[i] != after[i]) {
      FAIL_CHECK("byte " << i << " changed from " << int(before[i]) << " to " << int(after[i]));
      return;
    }
  }
}

}  // namespace

TEST_CASE("rewrite_tuple: random TCP and UDP packets of both families keep a correct L4 checksum") {
  std::mt19937 rng(20240611);
  unsigned cases = 0;
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      for (Layout layout : {Layout::pool, Layout::tight}) {
        for (int i = 0; i < 400; ++i) {
          Spec s;
          s.family = family;
          s.proto = proto;
          s.src = random_addr(rng, family);
          s.dst = random_addr(rng, family);
          s.sport = static_cast<uint16_t>(rng());
          s.dport = static_cast<uint16_t>(rng());
          // Lengths 0 to 1400, odd ones included; every fifth packet a short one, where odd sizes are common.
          const size_t len = i % 5 == 0 ? rng() % 8 : rng() % 1401;
          s.payload = random_bytes(rng, len);
          if (proto == IPPROTO_TCP) {
            s.flags = static_cast<uint8_t>(rng() & 0x3f);
            s.tcp_opts.assign((rng() % 11) * 4, 1);  // NOPs: any header length
          }
          if (family == 4 && i % 7 == 0) s.ip_opts = {1, 1, 1, 0};  // NOP NOP NOP EOL: an IHL of 6
          const auto pkt = build(s);
          // Sometimes only the ports or only the addresses change, sometimes nothing does.
          Addr nsrc = random_addr(rng, family), ndst = random_addr(rng, family);
          uint16_t nsport = static_cast<uint16_t>(rng()), ndport = static_cast<uint16_t>(rng());
          if (i % 11 == 3) nsrc = s.src, ndst = s.dst;
          if (i % 13 == 4) nsport = s.sport, ndport = s.dport;
          if (i % 17 == 5) nsrc = s.src, ndst = s.dst, nsport = s.sport, ndport = s.dport;
          const auto out = rewrite(layout, pkt, l3_len_of(s), nsrc, nsport, ndst, ndport);
          const Decoded d = decode(out);
          INFO("family " << int(family) << " proto " << int(proto) << " payload " << len << " case " << i);
          CHECK(d.src == nsrc);
          CHECK(d.dst == ndst);
          CHECK(d.sport == nsport);
          CHECK(d.dport == ndport);
          CHECK(d.csum == d.ref_csum);
          CHECK(d.payload == s.payload);
          check_only_tuple_changed(pkt, out);
          ++cases;
        }
      }
    }
  }
  CHECK(cases == 3200);
}

TEST_CASE("rewrite_tuple: an IPv4 UDP datagram without a checksum keeps none") {
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    Spec s;
    s.family = 4;
    s.proto = IPPROTO_UDP;
    s.src = random_addr(rng, 4);
    s.dst = random_addr(rng, 4);
    s.sport = static_cast<uint16_t>(rng());
    s.dport = static_cast<uint16_t>(rng());
    s.payload = random_bytes(rng, rng() % 300);
    s.udp_nocsum = true;
    const auto out = rewrite(Layout::tight, build(s), 20, random_addr(rng, 4), 1234, random_addr(rng, 4), 53);
    CHECK(decode(out).csum == 0);
  }
}

namespace {

Spec random_spec(std::mt19937& rng, uint8_t family, uint8_t proto) {
  Spec s;
  s.family = family;
  s.proto = proto;
  s.src = random_addr(rng, family);
  s.dst = random_addr(rng, family);
  s.sport = static_cast<uint16_t>(rng());
  s.dport = static_cast<uint16_t>(rng());
  s.payload = random_bytes(rng, 2 * (1 + rng() % 40));
  return s;
}

}  // namespace

TEST_CASE("rewrite_tuple: a UDP checksum that computes to 0 is sent as 0xffff, and 0xffff in is understood") {
  std::mt19937 rng(99);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (int i = 0; i < 20; ++i) {
      INFO("family " << int(family) << " case " << i);
      // Result 0: the rewritten packet sums to 0xffff.
      Spec after = random_spec(rng, family, IPPROTO_UDP);
      make_sum_ffff(after);
      Spec before = after;
      before.src = random_addr(rng, family);
      before.dst = random_addr(rng, family);
      before.sport = static_cast<uint16_t>(rng());
      auto out = rewrite(Layout::tight, build(before), l3_len_of(before), after.src, after.sport, after.dst, after.dport);
      Decoded d = decode(out);
      REQUIRE(d.ref_csum == 0xffff);  // the construction worked: computed 0, sent as all ones
      CHECK(d.csum == 0xffff);
      // 0xffff in: the original packet sums to 0xffff.
      const auto in = build(after);
      REQUIRE(decode(in).csum == 0xffff);
      out = rewrite(Layout::tight, in, l3_len_of(after), before.src, before.sport, before.dst, before.dport);
      d = decode(out);
      CHECK(d.csum == d.ref_csum);
    }
  }
}

TEST_CASE("rewrite_tuple: a TCP checksum of 0 in or out is an ordinary value") {
  // TCP has no "no checksum": 0 must not be special-cased as UDP's is.
  std::mt19937 rng(5);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (int i = 0; i < 20; ++i) {
      INFO("family " << int(family) << " case " << i);
      Spec after = random_spec(rng, family, IPPROTO_TCP);
      make_sum_ffff(after);
      Spec before = after;
      before.src = random_addr(rng, family);
      before.dport = static_cast<uint16_t>(rng());
      auto out = rewrite(Layout::tight, build(before), l3_len_of(before), after.src, after.sport, after.dst, after.dport);
      Decoded d = decode(out);
      REQUIRE(d.ref_csum == 0);
      CHECK(d.csum == 0);
      const auto in = build(after);
      REQUIRE(decode(in).csum == 0);
      out = rewrite(Layout::tight, in, l3_len_of(after), before.src, before.sport, before.dst, before.dport);
      d = decode(out);
      CHECK(d.csum == d.ref_csum);
    }
  }
}

TEST_CASE("rewrite_tuple: every checksum value in, with the largest and smallest possible changes") {
  // The update sums ~old + new over up to 18 words (IPv6): from all-zero to all-one fields that is near
  // 0x24 * 0x10000, whose fold carries twice for some checksums; from all-one to all-zero almost nothing.
  // A payload word takes all 65536 values, and with it the checksum that comes in. The view points into a
  // plain buffer: rewrite_tuple reads and writes only through it.
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      for (bool up : {true, false}) {
        Addr zero{}, ones{};
        for (size_t i = 0; i < alen(family); ++i) ones[i] = 0xff;
        Spec s;
        s.family = family;
        s.proto = proto;
        s.src = s.dst = up ? zero : ones;
        s.sport = s.dport = up ? 0 : 0xffff;
        s.payload = {0x12, 0x34, 0, 0, 0x56};
        const size_t l3 = l3_len_of(s);
        const size_t ck = l3 + (proto == IPPROTO_TCP ? 16 : 6);
        const size_t word = l3 + (proto == IPPROTO_TCP ? 20 : 8) + 2;
        const auto base = build(s);
        unsigned bad = 0;
        for (uint32_t w = 0; w <= 0xffff; ++w) {
          auto pkt = base;
          wr16(&pkt[word], static_cast<uint16_t>(w));
          const Decoded in = decode(pkt);
          wr16(&pkt[ck], in.ref_csum);
          PacketView v;
          v.l3 = pkt.data();
          v.l4 = pkt.data() + l3;
          v.l3_len = static_cast<uint16_t>(l3);
          v.proto = proto;
          v.family = family;
          const Addr& to = up ? ones : zero;
          const uint16_t port = up ? 0xffff : 0;
          rewrite_tuple(v, to.data(), port, to.data(), port);
          const Decoded d = decode(pkt);
          if (d.csum != d.ref_csum && bad++ < 5) {
            FAIL_CHECK("family " << int(family) << " proto " << int(proto) << (up ? " up" : " down") << ": checksum in "
                                 << in.ref_csum << ", out " << d.csum << ", expected " << d.ref_csum);
          }
        }
        CHECK(bad == 0);
      }
    }
  }
}
