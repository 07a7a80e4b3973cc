// FullNAT's per-packet rewrites alone: rewrite_tuple, and kFullnatOps' inbound and outbound ops, over bursts
// of 32 pre-built, pre-parsed packets in real mbufs (EAL without hugepages or PCI), IPv4 and IPv6. No
// connection lookup, no I/O: what the path spends after it found the connection.
//   fullnat_bench [rounds] (default 200000 bursts per figure). Figures come from a Release tree.
//
// The SYN-ACK and SYN rows change the packet for good (MSS lowered, TOA inserted), so each packet is first
// put back from its template; the "restore only" row is that copy alone, to subtract.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "bench_util.hpp"
#include "conn/conn.hpp"
#include "dataplane/forward.hpp"
#include "dataplane/lcore_ipvs.hpp"
#include "dataplane/packet_view.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {
extern const ForwardOps kFullnatOps;
}

using namespace fulcrum::ipvs;
using fulcrum::bench::seconds_since;

namespace {

constexpr unsigned kBurst = 32;

struct Endpoints {
  uint8_t family;
  uint8_t caddr[16], vaddr[16], laddr[16], daddr[16];
};

Endpoints family_of(uint8_t f) {
  Endpoints x{};
  x.family = f;
  if (f == 4) {
    inet_pton(AF_INET, "198.51.100.7", x.caddr);
    inet_pton(AF_INET, "203.0.113.10", x.vaddr);
    inet_pton(AF_INET, "10.0.0.5", x.laddr);
    inet_pton(AF_INET, "10.0.1.20", x.daddr);
  } else {
    inet_pton(AF_INET6, "2001:db8:1::c7", x.caddr);
    inet_pton(AF_INET6, "2001:db8:2::10", x.vaddr);
    inet_pton(AF_INET6, "fd00::5", x.laddr);
    inet_pton(AF_INET6, "fd00:1::20", x.daddr);
  }
  return x;
}

// A TCP packet src:sport -> dst:dport with `opts` and `payload` bytes, checksums set (DPDK's, which is fine
// here: the unit tests judge the arithmetic, this only times it).
std::vector<uint8_t> tcp_packet(uint8_t family, const uint8_t* src, const uint8_t* dst, uint16_t sport, uint16_t dport,
                                uint8_t flags, const std::vector<uint8_t>& opts, size_t payload) {
  const size_t l3 = family == 4 ? 20 : 40;
  const size_t hlen = 20 + opts.size();
  std::vector<uint8_t> p(l3 + hlen + payload, 0);
  if (family == 4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p.data());
    ip->version_ihl = 0x45;
    ip->total_length = htons(static_cast<uint16_t>(p.size()));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    std::memcpy(&ip->src_addr, src, 4);
    std::memcpy(&ip->dst_addr, dst, 4);
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p.data());
    ip->vtc_flow = htonl(0x60000000);
    ip->payload_len = htons(static_cast<uint16_t>(hlen + payload));
    ip->proto = IPPROTO_TCP;
    ip->hop_limits = 64;
    std::memcpy(ip->src_addr, src, 16);
    std::memcpy(ip->dst_addr, dst, 16);
  }
  auto* th = reinterpret_cast<rte_tcp_hdr*>(p.data() + l3);
  th->src_port = htons(sport);
  th->dst_port = htons(dport);
  th->data_off = static_cast<uint8_t>((hlen / 4) << 4);
  th->tcp_flags = flags;
  th->rx_win = htons(29200);
  std::memcpy(p.data() + l3 + 20, opts.data(), opts.size());
  for (size_t i = 0; i < payload; ++i) p[l3 + hlen + i] = static_cast<uint8_t>(i * 7);
  th->cksum = family == 4 ? rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(p.data()), th)
                          : rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(p.data()), th);
  return p;
}

// 32 packets in mbufs, each with its template and its parsed view.
struct Burst {
  rte_mbuf* m[kBurst];
  PacketView v[kBurst];
  std::vector<uint8_t> tmpl[kBurst];
  PacketView v0[kBurst];

  void restore(unsigned i) {
    rte_mbuf* b = m[i];
    b->data_off = RTE_PKTMBUF_HEADROOM;
    b->data_len = static_cast<uint16_t>(tmpl[i].size());
    b->pkt_len = b->data_len;
    std::memcpy(rte_pktmbuf_mtod(b, void*), tmpl[i].data(), tmpl[i].size());
    v[i] = v0[i];
  }
};

Burst make_burst(rte_mempool* pool, uint8_t family, const std::vector<std::vector<uint8_t>>& pkts) {
  Burst b{};
  for (unsigned i = 0; i < kBurst; ++i) {
    b.m[i] = rte_pktmbuf_alloc(pool);
    if (b.m[i] == nullptr) {
      std::fprintf(stderr, "mbuf pool empty\n");
      std::exit(1);
    }
    b.tmpl[i] = pkts[i % pkts.size()];
    b.m[i]->l3_len = family == 4 ? 20 : 40;
    b.restore(i);
    FlowKey k;
    if (parse_packet(b.m[i], family, &b.v0[i], &k) != ParseResult::flow) {
      std::fprintf(stderr, "a bench packet did not parse\n");
      std::exit(1);
    }
    b.v[i] = b.v0[i];
  }
  return b;
}

void free_burst(Burst& b) {
  for (rte_mbuf* m : b.m) rte_pktmbuf_free(m);
}

// The best of five timings of `rounds` bursts, in ns per packet: the CPUs here are shared.
template <class Fn>
double time_per_packet(uint32_t rounds, Fn&& burst_fn) {
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    for (uint32_t r = 0; r < rounds; ++r) burst_fn(r);
    best = std::min(best, seconds_since(start) * 1e9 / (double{1} * rounds * kBurst));
  }
  return best;
}

struct Row {
  const char* name;
  double ns[2];
};

void start_eal() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpu = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) ++cpu;
  }
  static std::vector<std::string> args = {
      "fullnat_bench", "--no-pci", "--no-huge", "-m", "128", "--no-shconf", "--no-telemetry",
      "--file-prefix", "fullnat-bench-" + std::to_string(getpid()), "-l", std::to_string(cpu), "--log-level",
      "warning"};
  static std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t rounds = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 200000;
  start_eal();
  rte_mempool* pool = rte_pktmbuf_pool_create("fullnat_bench", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) {
    std::fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
    return 1;
  }

  std::vector<Row> rows = {{"rewrite_tuple", {}},
                           {"fullnat in: ACK (rewrite)", {}},
                           {"fullnat out: ACK (rewrite)", {}},
                           {"restore only (template copy)", {}},
                           {"fullnat out: SYN-ACK (MSS + rewrite)*", {}},
                           {"fullnat in: SYN (rewrite + TOA)*", {}}};
  volatile uint32_t sink = 0;
  const std::vector<uint8_t> syn_opts = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  const std::vector<uint8_t> ts = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

  for (unsigned fi = 0; fi < 2; ++fi) {
    const uint8_t fam = fi == 0 ? 4 : 6;
    const Endpoints F = family_of(fam);
    // Payloads of the sizes a web flow mixes: acknowledgements, small requests, full segments.
    std::vector<std::vector<uint8_t>> in_pkts, out_pkts, synacks, syns;
    const size_t sizes[] = {0, 0, 120, 517, 1400, 1448, 33, 0};
    for (unsigned i = 0; i < 8; ++i) {
      in_pkts.push_back(tcp_packet(fam, F.caddr, F.vaddr, static_cast<uint16_t>(40000 + i), 80, kTcpAck, ts, sizes[i]));
      out_pkts.push_back(tcp_packet(fam, F.daddr, F.laddr, 8080, static_cast<uint16_t>(2000 + i), kTcpAck, ts, sizes[7 - i]));
      synacks.push_back(tcp_packet(fam, F.daddr, F.laddr, 8080, static_cast<uint16_t>(2000 + i), kTcpSyn | kTcpAck,
                                   syn_opts, 0));
      syns.push_back(tcp_packet(fam, F.caddr, F.vaddr, static_cast<uint16_t>(40000 + i), 80, kTcpSyn, syn_opts, 0));
    }
    Conn conns[kBurst]{};
    for (unsigned i = 0; i < kBurst; ++i) {
      Conn& c = conns[i];
      std::memcpy(c.caddr, F.caddr, 16);
      std::memcpy(c.vaddr, F.vaddr, 16);
      std::memcpy(c.laddr, F.laddr, 16);
      std::memcpy(c.daddr, F.daddr, 16);
      c.cport = htons(static_cast<uint16_t>(40000 + i % 8));
      c.vport = htons(80);
      c.lport = htons(static_cast<uint16_t>(2000 + i % 8));
      c.dport = htons(8080);
      c.family = fam;
      c.proto = IPPROTO_TCP;
    }
    LcoreIpvs L;
    WorkerService svc(0);
    svc.toa = true;
    const ForwardContext ctx{&svc};

    Burst in = make_burst(pool, fam, in_pkts);
    Burst out = make_burst(pool, fam, out_pkts);
    Burst sa = make_burst(pool, fam, synacks);
    Burst sy = make_burst(pool, fam, syns);

    // Two tuples in turn, so that every call changes every field it writes.
    rows[0].ns[fi] = time_per_packet(rounds, [&](uint32_t r) {
      const Conn& c = conns[0];
      for (unsigned i = 0; i < kBurst; ++i) {
        if (r & 1) {
          rewrite_tuple(in.v[i], c.laddr, c.lport, c.daddr, c.dport);
        } else {
          rewrite_tuple(in.v[i], c.caddr, c.cport, c.vaddr, c.vport);
        }
      }
    });
    rows[1].ns[fi] = time_per_packet(rounds, [&](uint32_t) {
      for (unsigned i = 0; i < kBurst; ++i) sink = sink + kFullnatOps.in(L, conns[i], ctx, in.m[i], in.v[i]);
    });
    rows[2].ns[fi] = time_per_packet(rounds, [&](uint32_t) {
      for (unsigned i = 0; i < kBurst; ++i) sink = sink + kFullnatOps.out(L, conns[i], ctx, out.m[i], out.v[i]);
    });
    rows[3].ns[fi] = time_per_packet(rounds, [&](uint32_t) {
      for (unsigned i = 0; i < kBurst; ++i) sa.restore(i);
    });
    rows[4].ns[fi] = time_per_packet(rounds, [&](uint32_t) {
      for (unsigned i = 0; i < kBurst; ++i) {
        sa.restore(i);
        sink = sink + kFullnatOps.out(L, conns[i], ctx, sa.m[i], sa.v[i]);
      }
    });
    rows[5].ns[fi] = time_per_packet(rounds, [&](uint32_t) {
      for (unsigned i = 0; i < kBurst; ++i) {
        sy.restore(i);
        sink = sink + kFullnatOps.in(L, conns[i], ctx, sy.m[i], sy.v[i]);
      }
    });
    if (L.ctr.get(DpCtr::toa_added) == 0 || L.ctr.get(DpCtr::mss_clamped) == 0) {
      std::fprintf(stderr, "the SYN rows did not add TOA or lower the MSS\n");
      return 1;
    }
    free_burst(in);
    free_burst(out);
    free_burst(sa);
    free_burst(sy);
  }

  std::printf("%u bursts of %u packets per figure, best of 5; ns per packet\n", rounds, kBurst);
  std::printf("%-40s %8s %8s\n", "", "IPv4", "IPv6");
  for (const Row& r : rows) std::printf("%-40s %8.1f %8.1f\n", r.name, r.ns[0], r.ns[1]);
  std::printf("* each packet put back from its template first (the restore-only row)\n");
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return sink == 0xffffffffu ? 1 : 0;
}
