// FullNAT's two directions (kFullnatOps): the tuple rewrite both ways, TOA on the client's SYN and first ACK,
// and the MSS a real server offers lowered by TOA's length. Each packet goes through parse_packet first, as
// on the path, and what comes out is judged by the reference checksum and byte by byte.

#include <arpa/inet.h>

#include <algorithm>

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;

namespace {

constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpEce = 0x40;

uint8_t toa_len(uint8_t family) { return family == 4 ? 8 : 20; }

std::vector<uint8_t> toa_bytes(const Endpoints& e) {
  std::vector<uint8_t> t = {254, toa_len(e.family), static_cast<uint8_t>(e.cport >> 8), static_cast<uint8_t>(e.cport)};
  t.insert(t.end(), e.caddr.begin(), e.caddr.begin() + static_cast<long>(alen(e.family)));
  return t;
}

struct Fixture {
  explicit Fixture(uint8_t family, bool toa = true) : e(endpoints(family)), svc(0) {
    svc.toa = toa;
    fill_conn(c, e, IPPROTO_TCP);
  }
  Endpoints e;
  WorkerService svc;
  LcoreIpvs L;
  Conn c{};
  bool gone = false;  // the connection's service was deleted: the module gets no service

  struct Out {
    bool ok;
    std::vector<uint8_t> bytes;
    Decoded d;
  };
  Out run(bool inbound, const Spec& s, Layout layout = Layout::pool, uint16_t headroom = 64) {
    const auto pkt = build(s);
    Mbuf m = layout == Layout::pool ? pool_mbuf(pkt, l3_len_of(s)) : tight_mbuf(pkt, l3_len_of(s), headroom);
    PacketView v;
    FlowKey k;
    REQUIRE(parse_packet(m.get(), s.family, &v, &k) == ParseResult::flow);
    ForwardContext ctx{gone ? nullptr : &svc};
    const bool ok = inbound ? kFullnatOps.in(L, c, ctx, m.get(), v) : kFullnatOps.out(L, c, ctx, m.get(), v);
    // The view still describes the packet, wherever its headers went.
    CHECK(v.l3 == rte_pktmbuf_mtod(m.get(), uint8_t*));
    CHECK(v.l4 == v.l3 + v.l3_len);
    CHECK(m->pkt_len == m->data_len);
    Out o{ok, bytes_of(m.get()), {}};
    o.d = decode(o.bytes);
    // The length fields and the buffer agree.
    CHECK(o.bytes.size() == size_t{o.d.l3_len} + o.d.l4_len);
    // And the result parses as a flow again, with the flags it came with.
    PacketView v2;
    FlowKey k2;
    Mbuf again = tight_mbuf(o.bytes, o.d.l3_len);
    CHECK(parse_packet(again.get(), s.family, &v2, &k2) == ParseResult::flow);
    CHECK(v2.tcp_flags == (s.proto == IPPROTO_TCP ? s.flags : 0));
    return o;
  }
};

Spec syn(const Endpoints& e, std::vector<uint8_t> opts = linux_syn_opts()) {
  Spec s = client_to_vip(e, IPPROTO_TCP);
  s.flags = kTcpSyn;
  s.tcp_opts = std::move(opts);
  return s;
}

Spec ack(const Endpoints& e, std::vector<uint8_t> payload = {}) {
  Spec s = client_to_vip(e, IPPROTO_TCP);
  s.flags = kTcpAck;
  s.tcp_opts = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1};  // NOP NOP timestamps
  s.payload = std::move(payload);
  return s;
}

void check_inbound_tuple(const Decoded& d, const Endpoints& e) {
  CHECK(d.src == e.laddr);
  CHECK(d.dst == e.daddr);
  CHECK(d.sport == e.lport);
  CHECK(d.dport == e.dport);
}

void check_outbound_tuple(const Decoded& d, const Endpoints& e) {
  CHECK(d.src == e.vaddr);
  CHECK(d.dst == e.caddr);
  CHECK(d.sport == e.vport);
  CHECK(d.dport == e.cport);
}

// The IP header's other fields, and the TCP fields before the data offset, survive the move.
void check_headers_kept(const std::vector<uint8_t>& in, const std::vector<uint8_t>& out) {
  const uint8_t family = in[0] >> 4;
  if (family == 4) {
    CHECK(in[0] == out[0]);
    CHECK(in[1] == out[1]);
    CHECK(std::equal(in.begin() + 4, in.begin() + 10, out.begin() + 4));  // id, flags, TTL, protocol
  } else {
    CHECK(std::equal(in.begin(), in.begin() + 4, out.begin()));  // version, class, flow label
    CHECK(std::equal(in.begin() + 6, in.begin() + 8, out.begin() + 6));
  }
  const size_t l3 = family == 4 ? (in[0] & 0x0f) * 4u : 40;
  CHECK(std::equal(in.begin() + static_cast<long>(l3 + 4), in.begin() + static_cast<long>(l3 + 12),
                   out.begin() + static_cast<long>(l3 + 4)));  // sequence and acknowledgment numbers
  CHECK(in[l3 + 13] == out[l3 + 13]);                                            // flags
  CHECK(std::equal(in.begin() + static_cast<long>(l3 + 14), in.begin() + static_cast<long>(l3 + 16),
                   out.begin() + static_cast<long>(l3 + 14)));  // window
  CHECK(std::equal(in.begin() + static_cast<long>(l3 + 18), in.begin() + static_cast<long>(l3 + 20),
                   out.begin() + static_cast<long>(l3 + 18)));  // urgent pointer
}

}  // namespace

TEST_CASE("fullnat in: a SYN goes to the real server from the local address, with TOA after its options") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (Layout layout : {Layout::pool, Layout::tight}) {
      for (size_t payload : {size_t{0}, size_t{37}}) {  // a SYN with data (TCP Fast Open), odd in length
        INFO("family " << int(family) << " layout " << int(layout) << " payload " << payload);
        Fixture f(family);
        std::mt19937 rng(static_cast<unsigned>(payload + family));
        Spec s = syn(f.e);
        s.payload = random_bytes(rng, payload);
        const auto in = build(s);
        const auto o = f.run(true, s, layout);
        REQUIRE(o.ok);
        check_inbound_tuple(o.d, f.e);
        const uint8_t olen = toa_len(family);
        CHECK(o.bytes.size() == in.size() + olen);
        CHECK(o.d.ip_len_field == decode(in).ip_len_field + olen);
        CHECK(o.d.tcp_hlen == 20 + s.tcp_opts.size() + olen);
        CHECK(o.d.tcp_opts == cat({s.tcp_opts, toa_bytes(f.e)}));
        CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
        CHECK(o.d.payload == s.payload);
        CHECK(o.d.csum == o.d.ref_csum);
        check_headers_kept(in, o.bytes);
        CHECK((f.c.flags & kConnToaSent) != 0);
        CHECK((f.c.flags & kConnToaAckPending) != 0);
        CHECK(ctr(f.L, DpCtr::toa_added) == 1);
        CHECK(ctr(f.L, DpCtr::toa_no_room) == 0);
        CHECK(ctr(f.L, DpCtr::no_mbuf_room) == 0);
      }
    }
  }
}

TEST_CASE("fullnat in: the first ACK after the SYN carries TOA too, later ones do not") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Fixture f(family);
    std::mt19937 rng(family);
    const uint8_t olen = toa_len(family);
    REQUIRE(f.run(true, syn(f.e)).ok);
    // A retransmitted SYN: TOA again.
    auto o = f.run(true, syn(f.e));
    CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
    CHECK(ctr(f.L, DpCtr::toa_added) == 2);
    // The handshake's ACK, here with data already (odd length), and PSH.
    Spec a = ack(f.e, random_bytes(rng, 101));
    a.flags |= kTcpPsh;
    const auto in = build(a);
    o = f.run(true, a);
    check_inbound_tuple(o.d, f.e);
    CHECK(o.bytes.size() == in.size() + olen);
    CHECK(o.d.tcp_opts == cat({a.tcp_opts, toa_bytes(f.e)}));
    CHECK(o.d.payload == a.payload);
    CHECK(o.d.csum == o.d.ref_csum);
    check_headers_kept(in, o.bytes);
    CHECK((f.c.flags & kConnToaAckPending) == 0);
    CHECK((f.c.flags & kConnToaSent) != 0);
    CHECK(ctr(f.L, DpCtr::toa_added) == 3);
    // Later ACKs: the rewrite only.
    for (int i = 0; i < 3; ++i) {
      Spec later = ack(f.e, random_bytes(rng, 50 + i));
      o = f.run(true, later);
      check_inbound_tuple(o.d, f.e);
      CHECK(o.bytes.size() == build(later).size());
      CHECK(o.d.tcp_opts == later.tcp_opts);
      CHECK(o.d.payload == later.payload);
      CHECK(o.d.csum == o.d.ref_csum);
    }
    CHECK(ctr(f.L, DpCtr::toa_added) == 3);
  }
}

TEST_CASE("fullnat in: segments other than the SYN and the first ACK get no TOA") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Fixture f(family);
    // An ACK without a SYN before it (the SYN went another way): nothing pending.
    auto o = f.run(true, ack(f.e, {1, 2, 3}));
    CHECK(find_option(o.d.tcp_opts, 254).empty());
    CHECK(o.d.csum == o.d.ref_csum);
    REQUIRE(f.run(true, syn(f.e)).ok);
    // RST+ACK, and a SYN+ACK from the client's side: neither is the first ACK.
    for (uint8_t flags : {uint8_t{kTcpRst | kTcpAck}, uint8_t{kTcpSyn | kTcpAck}}) {
      Spec s = ack(f.e);
      s.flags = flags;
      o = f.run(true, s);
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
    }
    CHECK(ctr(f.L, DpCtr::toa_added) == 1);
    // A SYN with ECE and CWR (ECN setup) is still a SYN.
    Spec ecn = syn(f.e);
    ecn.flags = kTcpSyn | kTcpEce | 0x80;
    o = f.run(true, ecn);
    CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
    CHECK(o.d.csum == o.d.ref_csum);
  }
}

TEST_CASE("fullnat in: with TOA off, or the service gone, or UDP, nothing is inserted") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (int mode = 0; mode < 3; ++mode) {
      INFO("family " << int(family) << " mode " << mode);
      Fixture f(family, mode != 0);
      f.gone = mode == 1;
      if (mode == 2) f.c.proto = IPPROTO_UDP;
      std::vector<Spec> pkts;
      if (mode == 2) {
        Spec u = client_to_vip(f.e, IPPROTO_UDP);
        u.payload = {1, 2, 3, 4, 5};
        pkts = {u, u};
      } else {
        pkts = {syn(f.e), ack(f.e, {7, 7, 7})};
      }
      for (const Spec& s : pkts) {
        const auto in = build(s);
        const auto o = f.run(true, s);
        REQUIRE(o.ok);
        check_inbound_tuple(o.d, f.e);
        CHECK(o.bytes.size() == in.size());
        CHECK(o.d.tcp_opts == s.tcp_opts);
        CHECK(o.d.payload == s.payload);
        CHECK(o.d.csum == o.d.ref_csum);
      }
      CHECK(f.c.flags == 0);
      CHECK(ctr(f.L, DpCtr::toa_added) == 0);
      CHECK(ctr(f.L, DpCtr::toa_no_room) == 0);
    }
  }
}

TEST_CASE("fullnat in: a SYN whose header has no room for TOA goes without it, counted") {
  // IPv4: 60 and 56 bytes of header leave no room for 8 more, 52 does; IPv6: 44 none for 20, 40 does.
  struct Case {
    uint8_t family;
    size_t hlen;
    bool fits;
  };
  for (const Case& k : {Case{4, 60, false}, Case{4, 56, false}, Case{4, 52, true}, Case{6, 44, false},
                        Case{6, 40, true}, Case{6, 60, false}}) {
    INFO("family " << int(k.family) << " header " << k.hlen);
    Fixture f(k.family);
    std::vector<uint8_t> opts = linux_syn_opts();
    opts.resize(k.hlen - 20, 1);  // NOPs up to the length (or Linux's options cut to it)
    if (k.hlen - 20 < 20) opts = cat({opt_mss(1460), std::vector<uint8_t>(k.hlen - 24, 1)});
    Spec s = syn(f.e, opts);
    s.payload = {0xde, 0xad, 0xbe};
    const auto in = build(s);
    const auto o = f.run(true, s);
    REQUIRE(o.ok);
    check_inbound_tuple(o.d, f.e);
    CHECK(o.d.payload == s.payload);
    CHECK(o.d.csum == o.d.ref_csum);
    if (k.fits) {
      CHECK(o.d.tcp_hlen == 60);
      CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
      CHECK(ctr(f.L, DpCtr::toa_no_room) == 0);
    } else {
      CHECK(o.bytes.size() == in.size());
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(ctr(f.L, DpCtr::toa_no_room) == 1);
      CHECK(ctr(f.L, DpCtr::toa_added) == 0);
      CHECK(f.c.flags == 0);
      // No TOA on the SYN, none on the ACK either.
      const auto a = f.run(true, ack(f.e));
      CHECK(find_option(a.d.tcp_opts, 254).empty());
    }
  }
}

TEST_CASE("fullnat in: without headroom for TOA the SYN is counted and never corrupted") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    Fixture f(family);
    const Spec s = syn(f.e);
    const auto in = build(s);
    const auto o = f.run(true, s, Layout::tight, /*headroom=*/4);
    CHECK(ctr(f.L, DpCtr::no_mbuf_room) == 1);
    CHECK(ctr(f.L, DpCtr::toa_added) == 0);
    if (o.ok) {  // sent on without TOA: then a whole, correct packet
      check_inbound_tuple(o.d, f.e);
      CHECK(o.bytes.size() == in.size());
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
    }
  }
}

TEST_CASE("fullnat in: TOA on random option layouts and payloads") {
  std::mt19937 rng(4242);
  // Options a client may send, none of them EOL (see the EOL case below).
  const std::vector<std::vector<uint8_t>> kinds = {
      {1}, opt_mss(1460), {3, 3, 7}, {4, 2}, {8, 10, 1, 2, 3, 4, 5, 6, 7, 8}, {34, 2}, {30, 4, 0x10, 0x20}};
  for (int i = 0; i < 400; ++i) {
    const uint8_t family = i % 2 ? 6 : 4;
    Fixture f(family);
    const size_t room = 40 - toa_len(family);
    std::vector<uint8_t> opts;
    for (int tries = 0; tries < 8; ++tries) {
      const auto& o = kinds[rng() % kinds.size()];
      if (opts.size() + o.size() <= room) opts.insert(opts.end(), o.begin(), o.end());
    }
    while (opts.size() % 4) opts.push_back(1);
    if (opts.size() > room) opts.resize(room & ~size_t{3});
    const bool first_ack = i % 3 == 0;
    if (first_ack) REQUIRE(f.run(true, syn(f.e)).ok);
    Spec s = first_ack ? ack(f.e) : syn(f.e);
    s.tcp_opts = opts;
    s.payload = random_bytes(rng, rng() % 1300);
    INFO("case " << i << " family " << int(family) << " options " << opts.size() << " payload " << s.payload.size());
    const auto o = f.run(true, s, i % 4 ? Layout::pool : Layout::tight);
    REQUIRE(o.ok);
    check_inbound_tuple(o.d, f.e);
    CHECK(o.d.tcp_opts == cat({opts, toa_bytes(f.e)}));
    CHECK(o.d.payload == s.payload);
    CHECK(o.d.csum == o.d.ref_csum);
  }
}

// Options that end in EOL padding: a macOS or iOS SYN (mss, nop, wscale, nop, nop, timestamps, sackOK, eol,
// padded to 24 bytes with EOL), a shorter one that leaves room for IPv6's TOA as well, and two with junk.
TEST_CASE("fullnat in: TOA on a SYN whose options end in EOL padding is still found by the real server") {
  const std::vector<uint8_t> macos = cat({opt_mss(1460), {1, 3, 3, 6, 1, 1, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 4, 2, 0, 0}});
  const std::vector<uint8_t> short_eol = cat({opt_mss(1400), {1, 3, 3, 6, 4, 2, 0, 0}});
  // Not zero after the EOL, as RFC 9293 asks: nothing a receiver ignores now may become an option. The longer
  // one has more padding behind its EOL than TOA's 8 bytes.
  const std::vector<uint8_t> junk_eol = cat({opt_mss(1400), {0, 0xaa, 0xbb, 0xcc, 4, 2, 2, 4}});
  const std::vector<uint8_t> junk_long = cat({opt_mss(1400), {0, 0xaa, 0xbb, 0xcc, 4, 2, 2, 4, 3, 3, 9, 1}});
  struct Case {
    uint8_t family;
    const std::vector<uint8_t>* opts;
  };
  for (const Case& k : {Case{4, &macos}, Case{4, &short_eol}, Case{6, &short_eol}, Case{4, &junk_eol},
                        Case{6, &junk_eol}, Case{4, &junk_long}}) {
    INFO("family " << int(k.family) << " options " << k.opts->size());
    Fixture f(k.family);
    const auto o = f.run(true, syn(f.e, *k.opts));
    CHECK(o.d.csum == o.d.ref_csum);
    CHECK(ctr(f.L, DpCtr::toa_added) == 1);
    // A receiver's walk (Linux's, the toa modules', doc/toa.md's reader) stops at the first EOL.
    CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
    // The options before it are still there for the real server, and right after it the list ends.
    CHECK(find_option(o.d.tcp_opts, 2) == opt_mss(k.opts == &macos ? 1460 : 1400));
    const std::vector<uint8_t> toa = toa_bytes(f.e);
    const auto toa_at = std::search(o.d.tcp_opts.begin(), o.d.tcp_opts.end(), toa.begin(), toa.end());
    REQUIRE(toa_at != o.d.tcp_opts.end());
    const auto after = toa_at + static_cast<long>(toa.size());
    if (after != o.d.tcp_opts.end()) CHECK(*after == 0);
    CHECK(o.d.payload == std::vector<uint8_t>{});
  }
}

TEST_CASE("fullnat in: TOA keeps the low bits of the data-offset byte (AccECN's AE flag)") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Fixture f(family);
    Spec s = syn(f.e);
    s.doff_low = 0x1;  // AE, with CWR and ECE: an AccECN SYN
    s.flags = kTcpSyn | kTcpEce | 0x80;
    const auto o = f.run(true, s);
    CHECK(find_option(o.d.tcp_opts, 254) == toa_bytes(f.e));
    CHECK(o.d.csum == o.d.ref_csum);
    CHECK((o.d.doff_byte & 0x0f) == 0x1);
  }
}

// ---- outbound ----

namespace {

// Where the MSS option sits in the SYN-ACK's options, and so whether its value is at an even or odd offset
// in the TCP header (the checksum runs over 16-bit words from the header's start).
struct MssLayout {
  const char* name;
  std::vector<uint8_t> opts;
  size_t value_at;  // offset of the MSS value in the options
};

std::vector<MssLayout> mss_layouts(uint16_t mss) {
  const auto m = opt_mss(mss);
  return {
      {"first (even)", cat({m, {4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 3, 3, 7}}), 2},
      {"after one NOP (odd)", cat({{1}, m, {1, 3, 3, 7, 4, 2, 1}}), 3},
      {"after NOP NOP timestamps NOP (odd, deeper)", cat({{1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1}, m, {1, 1, 1}}), 15},
      {"after window scale (odd)", cat({{3, 3, 7}, m, {1}}), 5},
      {"after NOP NOP (even)", cat({{1, 1}, m, {1, 3, 3, 7, 4, 2}}), 4},
      {"last, ending the header (even)", cat({{1, 3, 3, 7}, m}), 6},
  };
}

Spec synack(const Endpoints& e, std::vector<uint8_t> opts) {
  Spec s = server_to_laddr(e, IPPROTO_TCP);
  s.flags = kTcpSyn | kTcpAck;
  s.tcp_opts = std::move(opts);
  return s;
}

}  // namespace

TEST_CASE("fullnat out: the SYN-ACK's MSS drops by TOA's length, wherever the option sits") {
  std::vector<uint16_t> values = {1460, 1440, 0x0504 /* borrows across the byte */, 0x0500, 0x0107 + 0x100, 9000,
                                  0xff03, 0xffff, 545, 557, 1220};
  std::mt19937 rng(77);
  for (int i = 0; i < 40; ++i) values.push_back(static_cast<uint16_t>(537 + rng() % (65535 - 537)));
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    const uint16_t olen = toa_len(family);
    for (uint16_t mss : values) {
      for (const MssLayout& lay : mss_layouts(mss)) {
        INFO("family " << int(family) << " MSS " << mss << " " << lay.name);
        Fixture f(family);
        fill_conn(f.c, f.e, IPPROTO_TCP);
        const Spec s = synack(f.e, lay.opts);
        const auto in = build(s);
        const auto o = f.run(false, s);
        REQUIRE(o.ok);
        check_outbound_tuple(o.d, f.e);
        const bool lowered = mss > olen + 536;
        const uint16_t want = lowered ? static_cast<uint16_t>(mss - olen) : mss;
        REQUIRE(o.d.tcp_opts.size() == lay.opts.size());
        CHECK(rd16(&o.d.tcp_opts[lay.value_at]) == want);
        // Nothing else in the options moved.
        auto expect = lay.opts;
        wr16(&expect[lay.value_at], want);
        CHECK(o.d.tcp_opts == expect);
        CHECK(o.bytes.size() == in.size());
        CHECK(o.d.csum == o.d.ref_csum);
        check_headers_kept(in, o.bytes);
        CHECK(ctr(f.L, DpCtr::mss_clamped) == (lowered ? 1u : 0u));
      }
    }
  }
}

TEST_CASE("fullnat out: MSS at and below the floor of 536 plus TOA is left alone") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    const uint16_t olen = toa_len(family);
    for (uint16_t mss : {uint16_t(olen + 536), uint16_t(536), uint16_t(0), uint16_t(olen + 537)}) {
      INFO("family " << int(family) << " MSS " << mss);
      Fixture f(family);
      const auto o = f.run(false, synack(f.e, linux_syn_opts(mss)));
      const uint16_t want = mss > olen + 536 ? static_cast<uint16_t>(mss - olen) : mss;
      CHECK(rd16(&o.d.tcp_opts[2]) == want);
      CHECK(o.d.csum == o.d.ref_csum);
    }
  }
}

TEST_CASE("fullnat out: no MSS option, TOA off, or not a SYN-ACK: only the tuple changes") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    {
      Fixture f(family);
      const Spec s = synack(f.e, {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7, 4, 2, 1, 1});
      const auto o = f.run(false, s);
      check_outbound_tuple(o.d, f.e);
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
      CHECK(ctr(f.L, DpCtr::mss_clamped) == 0);
    }
    {
      // Malformed options: a length running past the header, a zero length. Nothing is read past them.
      for (const std::vector<uint8_t>& bad : {std::vector<uint8_t>{1, 1, 8, 40, 2, 4, 5, 0xb4},
                                               std::vector<uint8_t>{3, 0, 2, 4, 5, 0xb4, 1, 1}}) {
        Fixture f(family);
        const Spec s = synack(f.e, bad);
        const auto o = f.run(false, s, Layout::tight, 0);
        CHECK(o.d.tcp_opts == s.tcp_opts);
        CHECK(o.d.csum == o.d.ref_csum);
      }
    }
    {
      Fixture f(family, /*toa=*/false);
      const Spec s = synack(f.e, linux_syn_opts(1460));
      const auto o = f.run(false, s);
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
    }
    {
      Fixture f(family);
      f.gone = true;
      const Spec s = synack(f.e, linux_syn_opts(1460));
      const auto o = f.run(false, s);
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
    }
    for (uint8_t flags : {kTcpSyn, kTcpAck, uint8_t{kTcpAck | kTcpPsh}}) {
      Fixture f(family);
      Spec s = synack(f.e, linux_syn_opts(1460));
      s.flags = flags;
      const auto o = f.run(false, s);
      CHECK(o.d.tcp_opts == s.tcp_opts);
      CHECK(o.d.csum == o.d.ref_csum);
      CHECK(ctr(f.L, DpCtr::mss_clamped) == 0);
    }
  }
}

TEST_CASE("fullnat out: replies reach the client from the VIP, payload untouched") {
  std::mt19937 rng(31337);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      for (int i = 0; i < 60; ++i) {
        Fixture f(family);
        fill_conn(f.c, f.e, proto);
        Spec s = server_to_laddr(f.e, proto);
        s.flags = kTcpAck | (i % 2 ? kTcpPsh : 0) | (i % 7 == 0 ? kTcpFin : 0);
        s.payload = random_bytes(rng, rng() % 1460);
        INFO("family " << int(family) << " proto " << int(proto) << " payload " << s.payload.size());
        const auto in = build(s);
        const auto o = f.run(false, s, i % 2 ? Layout::tight : Layout::pool);
        REQUIRE(o.ok);
        check_outbound_tuple(o.d, f.e);
        CHECK(o.bytes.size() == in.size());
        CHECK(o.d.payload == s.payload);
        CHECK(o.d.csum == o.d.ref_csum);
      }
    }
  }
}

TEST_CASE("fullnat in: UDP goes to the real server from the local address, payload untouched") {
  std::mt19937 rng(8);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (int i = 0; i < 40; ++i) {
      Fixture f(family);
      fill_conn(f.c, f.e, IPPROTO_UDP);
      Spec s = client_to_vip(f.e, IPPROTO_UDP);
      s.payload = random_bytes(rng, rng() % 1460);
      const auto o = f.run(true, s, i % 2 ? Layout::tight : Layout::pool);
      REQUIRE(o.ok);
      check_inbound_tuple(o.d, f.e);
      CHECK(o.d.payload == s.payload);
      CHECK(o.d.csum == o.d.ref_csum);
    }
  }
}
