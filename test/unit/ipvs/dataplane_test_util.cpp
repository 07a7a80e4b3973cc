#include "dataplane_test_util.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "dataplane.hpp"  // netif's, from netif/src: only to construct one, never opened
#include "test_eal.hpp"

namespace fulcrum::ipvs::dptest {

Addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Addr x{};
  x[0] = a, x[1] = b, x[2] = c, x[3] = d;
  return x;
}

Addr v6(const char* text) {
  Addr x{};
  if (inet_pton(AF_INET6, text, x.data()) != 1) throw std::invalid_argument(text);
  return x;
}

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint64_t ref_sum(uint64_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint64_t>(p[i]) << 8 | p[i + 1];
  if (n & 1) sum += static_cast<uint64_t>(p[n - 1]) << 8;
  return sum;
}

uint16_t ref_fold_not(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t ref_l4(uint8_t family, const uint8_t* src, const uint8_t* dst, uint8_t proto, const uint8_t* l4, size_t len,
                size_t ck_off) {
  std::vector<uint8_t> seg(l4, l4 + len);
  if (ck_off + 2 <= len) seg[ck_off] = seg[ck_off + 1] = 0;
  uint64_t sum = 0;
  sum = ref_sum(sum, src, alen(family));
  sum = ref_sum(sum, dst, alen(family));
  // RFC 768 / 793 pseudo header: zero, protocol, 16-bit length; RFC 8200: 32-bit length, three zeros, next header.
  if (family == 4) {
    sum += proto;
    sum += len;
  } else {
    sum += len >> 16;
    sum += len & 0xffff;
    sum += proto;
  }
  sum = ref_sum(sum, seg.data(), seg.size());
  const uint16_t ck = ref_fold_not(sum);
  return ck == 0 && proto == IPPROTO_UDP ? 0xffff : ck;
}

uint16_t ref_ip4(const uint8_t* hdr, size_t len) {
  std::vector<uint8_t> h(hdr, hdr + len);
  h[10] = h[11] = 0;
  return ref_fold_not(ref_sum(0, h.data(), h.size()));
}

uint16_t l3_len_of(const Spec& s) {
  return static_cast<uint16_t>(s.family == 4 ? 20 + s.ip_opts.size() : 40 + s.ext_hdr_len);
}

std::vector<uint8_t> build(const Spec& s) {
  const size_t l3 = l3_len_of(s);
  std::vector<uint8_t> l4;
  size_t ck_off = 0;
  if (s.proto == IPPROTO_TCP) {
    const size_t hlen = 20 + s.tcp_opts.size();
    if (s.tcp_opts.size() % 4 != 0 || hlen > 60) throw std::invalid_argument("tcp options");
    l4.assign(hlen, 0);
    wr16(&l4[0], s.sport);
    wr16(&l4[2], s.dport);
    for (int i = 0; i < 4; ++i) {
      l4[4 + i] = static_cast<uint8_t>(s.seq >> (24 - 8 * i));
      l4[8 + i] = static_cast<uint8_t>(s.ack >> (24 - 8 * i));
    }
    l4[12] = static_cast<uint8_t>((hlen / 4) << 4 | (s.doff_low & 0x0f));
    l4[13] = s.flags;
    wr16(&l4[14], 29200);
    std::copy(s.tcp_opts.begin(), s.tcp_opts.end(), l4.begin() + 20);
    ck_off = 16;
  } else if (s.proto == IPPROTO_UDP) {
    l4.assign(8, 0);
    wr16(&l4[0], s.sport);
    wr16(&l4[2], s.dport);
    wr16(&l4[4], static_cast<uint16_t>(8 + s.payload.size()));
    ck_off = 6;
  } else {
    throw std::invalid_argument("build: TCP or UDP");
  }
  l4.insert(l4.end(), s.payload.begin(), s.payload.end());
  uint16_t ck = ref_l4(s.family, s.src.data(), s.dst.data(), s.proto, l4.data(), l4.size(), ck_off);
  if (s.proto == IPPROTO_UDP && s.udp_nocsum) ck = 0;
  wr16(&l4[ck_off], ck);

  std::vector<uint8_t> pkt(l3, 0);
  if (s.family == 4) {
    pkt[0] = static_cast<uint8_t>(0x40 | (l3 / 4));
    pkt[1] = 0x28;  // a DSCP, so that a rewrite that touches it shows
    wr16(&pkt[2], static_cast<uint16_t>(l3 + l4.size()));
    wr16(&pkt[4], 0xbeef);
    wr16(&pkt[6], s.frag);
    pkt[8] = 61;
    pkt[9] = s.proto;
    std::memcpy(&pkt[12], s.src.data(), 4);
    std::memcpy(&pkt[16], s.dst.data(), 4);
    std::copy(s.ip_opts.begin(), s.ip_opts.end(), pkt.begin() + 20);
    wr16(&pkt[10], ref_ip4(pkt.data(), l3));
  } else {
    pkt[0] = 0x60;
    pkt[1] = 0x0a;  // a flow label, likewise
    pkt[2] = 0xbc;
    pkt[3] = 0xde;
    wr16(&pkt[4], static_cast<uint16_t>(l3 - 40 + l4.size()));
    pkt[6] = s.ext_hdr_len != 0 ? 0 /* hop-by-hop */ : s.proto;
    pkt[7] = 61;
    std::memcpy(&pkt[8], s.src.data(), 16);
    std::memcpy(&pkt[24], s.dst.data(), 16);
    if (s.ext_hdr_len != 0) {
      pkt[40] = s.proto;
      pkt[41] = static_cast<uint8_t>(s.ext_hdr_len / 8 - 1);
      pkt[42] = 1;  // PadN over the rest
      pkt[43] = static_cast<uint8_t>(s.ext_hdr_len - 4);
    }
  }
  pkt.insert(pkt.end(), l4.begin(), l4.end());
  return pkt;
}

std::vector<uint8_t> opt_mss(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
}

std::vector<uint8_t> linux_syn_opts(uint16_t mss) {
  return cat({opt_mss(mss), {4, 2, 8, 10, 0, 1, 2, 3, 0, 0, 0, 0, 1, 3, 3, 7}});
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void make_sum_ffff(Spec& s) {
  s.payload[s.payload.size() - 2] = 0;
  s.payload[s.payload.size() - 1] = 0;
  auto probe = build(s);
  const size_t l3 = l3_len_of(s);
  const size_t ck = l3 + (s.proto == IPPROTO_TCP ? 16 : 6);
  probe[ck] = probe[ck + 1] = 0;
  uint64_t sum = 0;
  sum = ref_sum(sum, s.src.data(), alen(s.family));
  sum = ref_sum(sum, s.dst.data(), alen(s.family));
  sum += s.proto;
  sum += probe.size() - l3;
  sum = ref_sum(sum, probe.data() + l3, probe.size() - l3);
  const uint16_t folded = static_cast<uint16_t>(~ref_fold_not(sum));
  const uint16_t word = static_cast<uint16_t>(~folded);  // folded + ~folded = 0xffff
  s.payload[s.payload.size() - 2] = static_cast<uint8_t>(word >> 8);
  s.payload[s.payload.size() - 1] = static_cast<uint8_t>(word);
}

rte_mempool* pool() {
  test::ensure_eal();
  static rte_mempool* p =
      rte_pktmbuf_pool_create("dp_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  REQUIRE(p != nullptr);
  return p;
}

Mbuf pool_mbuf(const std::vector<uint8_t>& bytes, uint16_t l3_len) {
  Mbuf m(rte_pktmbuf_alloc(pool()));
  REQUIRE(m != nullptr);
  auto* d = rte_pktmbuf_append(m.get(), static_cast<uint16_t>(bytes.size()));
  REQUIRE(d != nullptr);
  std::memcpy(d, bytes.data(), bytes.size());
  m->l3_len = l3_len;
  return m;
}

namespace {

void free_ext(void* addr, void* opaque) {
  std::free(addr);
  delete static_cast<rte_mbuf_ext_shared_info*>(opaque);
}

}  // namespace

Mbuf tight_mbuf(const std::vector<uint8_t>& bytes, uint16_t l3_len, uint16_t headroom) {
  Mbuf m(rte_pktmbuf_alloc(pool()));
  REQUIRE(m != nullptr);
  const size_t len = headroom + bytes.size();
  REQUIRE(len > 0);
  REQUIRE(len <= UINT16_MAX);
  auto* buf = static_cast<uint8_t*>(std::malloc(len));
  REQUIRE(buf != nullptr);
  std::memcpy(buf + headroom, bytes.data(), bytes.size());
  auto* shinfo = new rte_mbuf_ext_shared_info{};
  shinfo->free_cb = &free_ext;
  shinfo->fcb_opaque = shinfo;
  rte_mbuf_ext_refcnt_set(shinfo, 1);
  rte_pktmbuf_attach_extbuf(m.get(), buf, RTE_BAD_IOVA, static_cast<uint16_t>(len), shinfo);
  m->data_off = headroom;
  m->data_len = static_cast<uint16_t>(bytes.size());
  m->pkt_len = static_cast<uint32_t>(bytes.size());
  m->l3_len = l3_len;
  return m;
}

Mbuf make_mbuf(Layout layout, const std::vector<uint8_t>& bytes, uint16_t l3_len) {
  // Tight, yet with room in front for TOA: only reads and writes past the end would go unseen otherwise.
  return layout == Layout::pool ? pool_mbuf(bytes, l3_len) : tight_mbuf(bytes, l3_len, 64);
}

void check_rewritten(const std::vector<uint8_t>& before, const Decoded& d, const Addr& src, uint16_t sport,
                     const Addr& dst, uint16_t dport) {
  const size_t n = alen(d.family);
  CHECK(std::equal(d.src.begin(), d.src.begin() + static_cast<long>(n), src.begin()));
  CHECK(std::equal(d.dst.begin(), d.dst.begin() + static_cast<long>(n), dst.begin()));
  CHECK(d.sport == sport);
  CHECK(d.dport == dport);
  CHECK(d.csum == d.ref_csum);
  const Decoded b = decode(before);
  CHECK(d.payload == b.payload);
  CHECK(d.tcp_opts == b.tcp_opts);
  CHECK(d.flags == b.flags);
}

Pkt packet(const Spec& s) {
  Pkt p{pool_mbuf(build(s), l3_len_of(s)), {}, {}};
  REQUIRE(parse_packet(p.m.get(), s.family, &p.v, &p.k) == ParseResult::flow);
  return p;
}

std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
  std::vector<uint8_t> out(m->pkt_len);
  const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, out.data());
  REQUIRE(p != nullptr);
  if (p != out.data()) std::memcpy(out.data(), p, out.size());
  return out;
}

Decoded decode(const std::vector<uint8_t>& pkt) {
  Decoded d;
  REQUIRE(pkt.size() >= 20);
  d.family = pkt[0] >> 4;
  REQUIRE((d.family == 4 || d.family == 6));
  if (d.family == 4) {
    d.l3_len = static_cast<uint16_t>((pkt[0] & 0x0f) * 4);
    d.ip_len_field = rd16(&pkt[2]);
    d.proto = pkt[9];
    std::memcpy(d.src.data(), &pkt[12], 4);
    std::memcpy(d.dst.data(), &pkt[16], 4);
    REQUIRE(d.ip_len_field >= d.l3_len);
    d.l4_len = static_cast<uint16_t>(d.ip_len_field - d.l3_len);
  } else {
    REQUIRE(pkt.size() >= 40);
    d.l3_len = 40;
    d.ip_len_field = rd16(&pkt[4]);
    d.proto = pkt[6];
    std::memcpy(d.src.data(), &pkt[8], 16);
    std::memcpy(d.dst.data(), &pkt[24], 16);
    d.l4_len = d.ip_len_field;
  }
  REQUIRE(pkt.size() >= size_t{d.l3_len} + d.l4_len);
  const uint8_t* l4 = pkt.data() + d.l3_len;
  if (d.proto == IPPROTO_TCP) {
    REQUIRE(d.l4_len >= 20);
    d.doff_byte = l4[12];
    d.tcp_hlen = (l4[12] >> 4) * 4u;
    REQUIRE(d.tcp_hlen >= 20);
    REQUIRE(d.tcp_hlen <= d.l4_len);
    d.flags = l4[13];
    d.tcp_opts.assign(l4 + 20, l4 + d.tcp_hlen);
    d.payload.assign(l4 + d.tcp_hlen, l4 + d.l4_len);
    d.csum = rd16(l4 + 16);
    d.ref_csum = ref_l4(d.family, d.src.data(), d.dst.data(), d.proto, l4, d.l4_len, 16);
  } else if (d.proto == IPPROTO_UDP) {
    REQUIRE(d.l4_len >= 8);
    d.payload.assign(l4 + 8, l4 + d.l4_len);
    d.csum = rd16(l4 + 6);
    d.ref_csum = ref_l4(d.family, d.src.data(), d.dst.data(), d.proto, l4, d.l4_len, 6);
  }
  if (d.proto == IPPROTO_TCP || d.proto == IPPROTO_UDP) {
    d.sport = rd16(l4);
    d.dport = rd16(l4 + 2);
  }
  return d;
}

std::vector<uint8_t> find_option(const std::vector<uint8_t>& opts, uint8_t kind) {
  size_t i = 0;
  while (i < opts.size()) {
    const uint8_t k = opts[i];
    if (k == 0) break;  // EOL: a receiver reads no further
    if (k == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size() || opts[i + 1] < 2 || i + opts[i + 1] > opts.size()) break;
    if (k == kind) return {opts.begin() + static_cast<long>(i), opts.begin() + static_cast<long>(i + opts[i + 1])};
    i += opts[i + 1];
  }
  return {};
}

Endpoints endpoints(uint8_t family) {
  // Ports whose two bytes differ, so that a byte-order slip shows.
  if (family == 4) {
    return {4, v4(198, 51, 100, 7), v4(203, 0, 113, 10), v4(10, 0, 0, 5), v4(10, 0, 1, 20), 0xa1b2, 80, 2003, 8080};
  }
  return {6,
          v6("2001:db8:1::c7"),
          v6("2001:db8:2::10"),
          v6("fd00::5"),
          v6("fd00:1::20"),
          0xa1b2,
          443,
          2003,
          8443};
}

void fill_conn(Conn& c, const Endpoints& e, uint8_t proto) {
  std::memcpy(c.caddr, e.caddr.data(), 16);
  std::memcpy(c.vaddr, e.vaddr.data(), 16);
  std::memcpy(c.laddr, e.laddr.data(), 16);
  std::memcpy(c.daddr, e.daddr.data(), 16);
  c.cport = htons(e.cport);
  c.vport = htons(e.vport);
  c.lport = htons(e.lport);
  c.dport = htons(e.dport);
  c.family = e.family;
  c.proto = proto;
  c.forward = static_cast<uint8_t>(ForwardMethod::fullnat);
}

Spec client_to_vip(const Endpoints& e, uint8_t proto) {
  Spec s;
  s.family = e.family;
  s.proto = proto;
  s.src = e.caddr;
  s.dst = e.vaddr;
  s.sport = e.cport;
  s.dport = e.vport;
  return s;
}

Spec server_to_laddr(const Endpoints& e, uint8_t proto) {
  Spec s;
  s.family = e.family;
  s.proto = proto;
  s.src = e.daddr;
  s.dst = e.laddr;
  s.sport = e.dport;
  s.dport = e.lport;
  return s;
}

Core::Core(uint32_t conn_max, uint16_t port_min, uint16_t port_max) : ports(0, 1, port_min, port_max) {
  (void)pool();  // EAL: the refusals log through rte_log, rate limited by the TSC
  ndp = std::make_unique<netif::Dataplane>();
  nif = std::make_unique<netif::Netif>(*ndp);
  inet = std::make_unique<inet::Inet>(*nif);
  dp = std::make_unique<IpvsDataplane>(*inet, sm, settings, IpvsSettings{});
  L.dp = dp.get();
  L.worker = 0;
  L.workers = 1;
  L.conns = std::make_unique<ConnTable>(conn_max);
  L.services = &services;
  L.laddrs = &ports;
  L.wheel = &wheel;
  L.expire_kind = wheel.register_kind(DataplaneTestAccess::on_expire(), &L);
}

Core::~Core() {
  WorkerService* old = nullptr;
  if (svc) services.install(svc->slot, nullptr, &old);
}

WorkerService& Core::add_service(const Endpoints& e, uint8_t proto, bool toa, ForwardMethod method) {
  LocalAddress la;
  la.family = e.family;
  std::memcpy(la.addr, e.laddr.data(), 16);
  entry = ports.prepare(la);
  REQUIRE(ports.install(laddr_id(), entry.get()));
  svc = std::make_unique<WorkerService>(1);
  svc->key.protocol = proto;
  svc->key.family = e.family == 4 ? Family::v4 : Family::v6;
  std::memcpy(svc->key.addr.bytes.data(), e.vaddr.data(), 16);
  svc->key.port = htons(e.vport);
  svc->slot = 3;
  svc->uid = 41;
  svc->forward = method;
  svc->toa = toa;
  svc->laddr_ids = {laddr_id()};
  svc->dests[0].id.family = svc->key.family;
  std::memcpy(svc->dests[0].id.addr.bytes.data(), e.daddr.data(), 16);
  svc->dests[0].id.port = htons(e.dport);
  svc->extra[0].forward = method;
  svc->extra[0].uid = 901;
  WorkerService* old = nullptr;
  REQUIRE(services.install(svc->slot, svc.get(), &old));
  return *svc;
}

uint64_t ctr(const LcoreIpvs& L, DpCtr c) { return L.ctr.get(c); }

}  // namespace fulcrum::ipvs::dptest
