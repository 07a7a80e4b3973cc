// The ICMP relay (IpvsDataplane::on_icmp, through DataplaneTestAccess): an error about a packet one side of a
// FullNAT connection got from us goes to the other side about the packet that side sent. The translated
// quote must be exactly that packet's first bytes (addresses, ports, IPv4 header checksum, L4 checksum), and
// the outer ICMP checksum must hold.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using fulcrum::inet::Verdict;

namespace {

// An ICMP (v4) or ICMPv6 message from `src` to `dst` quoting `quote`; `info` is the 4 bytes after the
// checksum (the MTU for "fragmentation needed" and "packet too big").
std::vector<uint8_t> icmp_packet(uint8_t family, const Addr& src, const Addr& dst, uint8_t type, uint8_t code,
                                 uint32_t info, const std::vector<uint8_t>& quote) {
  std::vector<uint8_t> msg(8, 0);
  msg[0] = type;
  msg[1] = code;
  for (int i = 0; i < 4; ++i) msg[4 + i] = static_cast<uint8_t>(info >> (24 - 8 * i));
  msg.insert(msg.end(), quote.begin(), quote.end());
  const uint16_t ck = family == 4 ? ref_fold_not(ref_sum(0, msg.data(), msg.size()))
                                  : ref_l4(6, src.data(), dst.data(), IPPROTO_ICMPV6, msg.data(), msg.size(), 2);
  wr16(&msg[2], ck);
  std::vector<uint8_t> pkt(family == 4 ? 20 : 40, 0);
  if (family == 4) {
    pkt[0] = 0x45;
    pkt[1] = 0xc0;
    wr16(&pkt[2], static_cast<uint16_t>(20 + msg.size()));
    wr16(&pkt[4], 0x4242);
    pkt[8] = 63;
    pkt[9] = IPPROTO_ICMP;
    std::memcpy(&pkt[12], src.data(), 4);
    std::memcpy(&pkt[16], dst.data(), 4);
    wr16(&pkt[10], ref_ip4(pkt.data(), 20));
  } else {
    pkt[0] = 0x60;
    wr16(&pkt[4], static_cast<uint16_t>(msg.size()));
    pkt[6] = IPPROTO_ICMPV6;
    pkt[7] = 63;
    std::memcpy(&pkt[8], src.data(), 16);
    std::memcpy(&pkt[24], dst.data(), 16);
  }
  pkt.insert(pkt.end(), msg.begin(), msg.end());
  return pkt;
}

struct Relay {
  explicit Relay(uint8_t family, uint8_t proto) : e(endpoints(family)) {
    c = core.L.conns->alloc();
    REQUIRE(c != nullptr);
    fill_conn(*c, e, proto);
    REQUIRE(core.L.conns->insert(c));
  }
  Core core;
  Endpoints e;
  Conn* c = nullptr;

  struct Out {
    Verdict verdict;
    unsigned n_out;
    std::vector<uint8_t> bytes;
  };
  Out run(const std::vector<uint8_t>& pkt, bool tight = true) {
    const uint8_t family = pkt[0] >> 4;
    const uint16_t l3 = family == 4 ? 20 : 40;
    Mbuf m = tight ? tight_mbuf(pkt, l3) : pool_mbuf(pkt, l3);
    PacketView v;
    FlowKey k;
    REQUIRE(parse_packet(m.get(), family, &v, &k) == ParseResult::icmp);
    rte_mbuf* out[32];
    unsigned n_out = 0;
    const Verdict verdict = DataplaneTestAccess::on_icmp(*core.dp, core.L, m.get(), v, out, &n_out);
    if (n_out == 1) CHECK(out[0] == m.get());
    return {verdict, n_out, bytes_of(m.get())};
  }
};

struct ErrorKind {
  const char* name;
  uint8_t type, code;
  uint32_t info;
};

std::vector<ErrorKind> errors(uint8_t family) {
  if (family == 4) {
    return {{"fragmentation needed", 3, 4, 1400}, {"port unreachable", 3, 3, 0}, {"TTL exceeded", 11, 0, 0}};
  }
  return {{"packet too big", 2, 0, 1280}, {"port unreachable", 1, 4, 0}, {"hop limit exceeded", 3, 0, 0}};
}

// The outer ICMP checksum of `pkt` (an ICMP or ICMPv6 packet) is right.
void check_icmp_checksum(const std::vector<uint8_t>& pkt) {
  const uint8_t family = pkt[0] >> 4;
  const size_t l3 = family == 4 ? 20 : 40;
  const std::vector<uint8_t> msg(pkt.begin() + static_cast<long>(l3), pkt.end());
  const uint16_t want = family == 4 ? ref_fold_not(ref_sum(0, msg.data(), msg.size()) - rd16(&msg[2]))
                                    : ref_l4(6, &pkt[8], &pkt[24], IPPROTO_ICMPV6, msg.data(), msg.size(), 2);
  CHECK(rd16(&msg[2]) == want);
}

Addr outer_src(const std::vector<uint8_t>& p) {
  Addr a{};
  std::memcpy(a.data(), p[0] >> 4 == 4 ? &p[12] : &p[8], alen(p[0] >> 4));
  return a;
}
Addr outer_dst(const std::vector<uint8_t>& p) {
  Addr a{};
  std::memcpy(a.data(), p[0] >> 4 == 4 ? &p[16] : &p[24], alen(p[0] >> 4));
  return a;
}

std::vector<uint8_t> prefix(const std::vector<uint8_t>& v, size_t n) { return {v.begin(), v.begin() + static_cast<long>(n)}; }

// The same packet seen on both sides of the balancer: as the client sent it to the VIP (`client`) and as we
// sent it on to the real server (`server`); or, for a reply, as the real server sent it and as we passed it
// to the client.
struct Pair {
  std::vector<uint8_t> client_side;
  std::vector<uint8_t> server_side;
};

Pair request(const Endpoints& e, uint8_t proto, const std::vector<uint8_t>& payload, bool sum_ffff_at_client = false) {
  Spec c = client_to_vip(e, proto);
  c.flags = kTcpAck | 0x08;
  c.payload = payload;
  if (sum_ffff_at_client) make_sum_ffff(c);
  Spec s = c;
  s.src = e.laddr, s.dst = e.daddr, s.sport = e.lport, s.dport = e.dport;
  return {build(c), build(s)};
}

Pair reply(const Endpoints& e, uint8_t proto, const std::vector<uint8_t>& payload, bool sum_ffff_at_server = false) {
  Spec s = server_to_laddr(e, proto);
  s.flags = kTcpAck | 0x08;
  s.payload = payload;
  if (sum_ffff_at_server) make_sum_ffff(s);
  Spec c = s;
  c.src = e.vaddr, c.dst = e.caddr, c.sport = e.vport, c.dport = e.cport;
  return {build(c), build(s)};
}

}  // namespace

TEST_CASE("icmp relay: an error from the real server's side reaches the client about the client's packet") {
  std::mt19937 rng(12);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      for (const ErrorKind& err : errors(family)) {
        const Endpoints e = endpoints(family);
        const Pair p = request(e, proto, random_bytes(rng, 61));
        const size_t l3 = family == 4 ? 20 : 40;
        // Linux quotes all it can; RFC 792 asks for the IP header and 8 bytes; and lengths between.
        for (size_t q : {p.server_side.size(), l3 + 8, l3 + 18, l3 + 20, l3 + 28, l3 + 9}) {
          INFO("family " << int(family) << " proto " << int(proto) << " " << err.name << ", quote " << q);
          Relay r(family, proto);
          // From a router on the real server's side, to our local address.
          const Addr router = family == 4 ? v4(10, 0, 1, 254) : v6("fd00:1::fe");
          const auto pkt = icmp_packet(family, router, e.laddr, err.type, err.code, err.info, prefix(p.server_side, q));
          const auto o = r.run(pkt, q % 2 == 0);
          REQUIRE(o.verdict == Verdict::stolen);
          REQUIRE(o.n_out == 1);
          CHECK(ctr(r.core.L, DpCtr::icmp_relayed) == 1);
          REQUIRE(o.bytes.size() == pkt.size());
          CHECK(outer_src(o.bytes) == e.vaddr);
          CHECK(outer_dst(o.bytes) == e.caddr);
          // Type, code and MTU as they were.
          CHECK(std::equal(pkt.begin() + static_cast<long>(l3), pkt.begin() + static_cast<long>(l3 + 2),
                           o.bytes.begin() + static_cast<long>(l3)));
          CHECK(std::equal(pkt.begin() + static_cast<long>(l3 + 4), pkt.begin() + static_cast<long>(l3 + 8),
                           o.bytes.begin() + static_cast<long>(l3 + 4)));
          check_icmp_checksum(o.bytes);
          // The quote is now the client's own packet: addresses, ports, IPv4 header checksum, L4 checksum.
          const std::vector<uint8_t> quote(o.bytes.begin() + static_cast<long>(l3 + 8), o.bytes.end());
          CHECK(quote == prefix(p.client_side, q));
        }
      }
    }
  }
}

TEST_CASE("icmp relay: an error from the client's side reaches the real server about its own packet") {
  std::mt19937 rng(13);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      for (const ErrorKind& err : errors(family)) {
        const Endpoints e = endpoints(family);
        const Pair p = reply(e, proto, random_bytes(rng, 200));
        const size_t l3 = family == 4 ? 20 : 40;
        for (size_t q : {p.client_side.size(), l3 + 8, l3 + 28}) {
          INFO("family " << int(family) << " proto " << int(proto) << " " << err.name << ", quote " << q);
          Relay r(family, proto);
          const auto pkt = icmp_packet(family, e.caddr, e.vaddr, err.type, err.code, err.info, prefix(p.client_side, q));
          const auto o = r.run(pkt);
          REQUIRE(o.verdict == Verdict::stolen);
          REQUIRE(o.n_out == 1);
          CHECK(outer_src(o.bytes) == e.laddr);
          CHECK(outer_dst(o.bytes) == e.daddr);
          check_icmp_checksum(o.bytes);
          const std::vector<uint8_t> quote(o.bytes.begin() + static_cast<long>(l3 + 8), o.bytes.end());
          CHECK(quote == prefix(p.server_side, q));
        }
      }
    }
  }
}

TEST_CASE("icmp relay: a quoted IPv4 UDP datagram without a checksum keeps none") {
  const Endpoints e = endpoints(4);
  Spec s = client_to_vip(e, IPPROTO_UDP);
  s.payload = {1, 2, 3, 4, 5, 6, 7};
  s.udp_nocsum = true;
  Spec sent = s;
  sent.src = e.laddr, sent.dst = e.daddr, sent.sport = e.lport, sent.dport = e.dport;
  Relay r(4, IPPROTO_UDP);
  const auto o = r.run(icmp_packet(4, e.daddr, e.laddr, 3, 3, 0, build(sent)));
  REQUIRE(o.verdict == Verdict::stolen);
  CHECK(std::vector<uint8_t>(o.bytes.begin() + 28, o.bytes.end()) == build(s));
  check_icmp_checksum(o.bytes);
}

TEST_CASE("icmp relay: a quoted UDP checksum that translates to a computed 0 is 0xffff, as the sender sent it") {
  std::mt19937 rng(21);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (bool to_client : {true, false}) {
      INFO("family " << int(family) << (to_client ? " to the client" : " to the real server"));
      const Endpoints e = endpoints(family);
      // The side the error goes to sent a datagram whose checksum computed to 0 (and went out as 0xffff).
      const Pair p = to_client ? request(e, IPPROTO_UDP, random_bytes(rng, 30), true)
                               : reply(e, IPPROTO_UDP, random_bytes(rng, 30), true);
      const auto& theirs = to_client ? p.client_side : p.server_side;
      const auto& quoted = to_client ? p.server_side : p.client_side;
      const size_t l3 = family == 4 ? 20 : 40;
      REQUIRE(rd16(&theirs[l3 + 6]) == 0xffff);
      REQUIRE(rd16(&quoted[l3 + 6]) != 0xffff);
      Relay r(family, IPPROTO_UDP);
      const auto pkt = to_client ? icmp_packet(family, e.daddr, e.laddr, family == 4 ? 3 : 1, family == 4 ? 3 : 4, 0, quoted)
                                 : icmp_packet(family, e.caddr, e.vaddr, family == 4 ? 3 : 1, family == 4 ? 3 : 4, 0, quoted);
      const auto o = r.run(pkt);
      REQUIRE(o.verdict == Verdict::stolen);
      const std::vector<uint8_t> quote(o.bytes.begin() + static_cast<long>(l3 + 8), o.bytes.end());
      CHECK(rd16(&quote[l3 + 6]) == 0xffff);
      CHECK(quote == theirs);
    }
  }
}

TEST_CASE("icmp relay: errors about no connection, and ICMP that is not an error, are left alone") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    const Endpoints e = endpoints(family);
    const Pair p = request(e, IPPROTO_TCP, {1, 2, 3});
    SECTION("unknown connection, family " + std::to_string(family)) {
      Relay r(family, IPPROTO_TCP);
      auto other = p.server_side;
      other[(family == 4 ? 20 : 40) + 1] ^= 1;  // another local port
      const auto pkt = icmp_packet(family, e.daddr, e.laddr, family == 4 ? 3 : 2, family == 4 ? 4 : 0, 1400, other);
      const auto o = r.run(pkt);
      CHECK(o.verdict == Verdict::accept);
      CHECK(o.n_out == 0);
      CHECK(o.bytes == pkt);
      CHECK(ctr(r.core.L, DpCtr::icmp_unmatched) == 1);
    }
    SECTION("echo request and reply, family " + std::to_string(family)) {
      for (uint8_t type : family == 4 ? std::vector<uint8_t>{8, 0} : std::vector<uint8_t>{128, 129}) {
        Relay r(family, IPPROTO_TCP);
        const auto pkt = icmp_packet(family, e.daddr, e.laddr, type, 0, 0x00010001, p.server_side);
        const auto o = r.run(pkt);
        CHECK(o.verdict == Verdict::accept);
        CHECK(o.bytes == pkt);
        CHECK(ctr(r.core.L, DpCtr::icmp_relayed) == 0);
        CHECK(ctr(r.core.L, DpCtr::icmp_unmatched) == 0);
      }
    }
    SECTION("an error quoting ICMP, family " + std::to_string(family)) {
      Relay r(family, IPPROTO_TCP);
      auto q = p.server_side;
      q[family == 4 ? 9 : 6] = static_cast<uint8_t>(family == 4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
      const auto pkt = icmp_packet(family, e.daddr, e.laddr, family == 4 ? 3 : 1, 1, 0, q);
      const auto o = r.run(pkt);
      CHECK(o.verdict == Verdict::accept);
      CHECK(o.bytes == pkt);
    }
  }
}

TEST_CASE("icmp relay: a message cut at any length is never read or written past its data") {
  // Exact-size buffers: under ASan, any access past data_len fails the test.
  std::mt19937 rng(3);
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    for (uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
      const Endpoints e = endpoints(family);
      const Pair p = request(e, proto, random_bytes(rng, 40));
      const size_t l3 = family == 4 ? 20 : 40;
      const size_t ip_and_8 = l3 + 8;
      const auto full = icmp_packet(family, e.daddr, e.laddr, family == 4 ? 3 : 2, family == 4 ? 4 : 0, 1400,
                                    p.server_side);
      for (size_t n = l3; n <= full.size(); ++n) {
        INFO("family " << int(family) << " proto " << int(proto) << ": " << n << " of " << full.size() << " bytes");
        // A message that is n bytes long, its IP length saying so ...
        const size_t quote = n > l3 + 8 ? n - l3 - 8 : 0;
        const auto whole = n >= l3 + 8 ? icmp_packet(family, e.daddr, e.laddr, family == 4 ? 3 : 2,
                                                     family == 4 ? 4 : 0, 1400, prefix(p.server_side, quote))
                                       : prefix(full, n);
        Relay r(family, proto);
        const auto o = r.run(whole);
        const bool relayed = quote >= ip_and_8;
        CHECK(o.verdict == (relayed ? Verdict::stolen : Verdict::accept));
        if (relayed) {
          check_icmp_checksum(o.bytes);
          // A quote that ends inside the L4 checksum field holds one byte of it, which no translation can get
          // right without the other (and no receiver checks): only the bytes before it are compared.
          const size_t ck_end = l3 + (proto == IPPROTO_TCP ? 18 : 8);
          const size_t cmp = quote + 1 == ck_end ? quote - 1 : quote;
          CHECK(std::vector<uint8_t>(o.bytes.begin() + static_cast<long>(l3 + 8),
                                     o.bytes.begin() + static_cast<long>(l3 + 8 + cmp)) == prefix(p.client_side, cmp));
        } else {
          CHECK(o.bytes == whole);
        }
        // ... and the full message cut to n bytes, its IP length still claiming all of it.
        Relay r2(family, proto);
        (void)r2.run(prefix(full, n));
      }
    }
  }
}
