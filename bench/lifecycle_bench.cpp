// The in-process benchmark: one worker's burst path (bench_core.hpp) against a generator that plays the
// clients and a reflector that plays the real servers, turning each packet the balancer sends towards a
// server into that server's reply. Only the cycles inside the balancer count (rdtsc around the path);
// making and reflecting packets is outside.
//
//   lifecycle_bench CASE [--flows N] [--packets P] [--sched rr|mh]
//     est      established connections: N flows opened (SYN, SYN-ACK, ACK: the SYNs' cost gives the new
//              connections per second), then P 64-byte segments on flows drawn at random, both directions
//     life     full TCP lifecycles: SYN, SYN-ACK, ACK, request, response, FIN both ways, last ACK
//     udp      as est for UDP (the first datagram opens the connection)
//     nat      as est with NAT (masq) instead of FullNAT
//   --proto and --method follow from the case. Prints "FIGURE name value unit cycles_per_packet" lines.
//
// Figures per worker core are the TSC rate over the cycles per packet (or per connection, per lifecycle):
// what one core would do spending every cycle in the balancer, with I/O and the rest of the daemon apart.

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "bench_core.hpp"
#include "bench_packet.hpp"
#include "bench_util.hpp"

using namespace fulcrum::bench;
using fulcrum::ipvs::ForwardMethod;

namespace {

constexpr unsigned kBurst = 32;
constexpr size_t kSeg = 6;
constexpr uint64_t kPreempted = 1'000'000;  // cycles: a burst that took longer was interrupted  // payload of a 64-byte TCP frame: 64 - FCS 4 - Ethernet 14 - IP 20 - TCP 20

struct Options {
  std::string which;
  uint64_t flows = 1 << 16;
  uint64_t packets = 4u << 20;
  std::string sched = "rr";
};

double hz() { return static_cast<double>(rte_get_tsc_hz()); }

long rss_kb() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void figure(const std::string& name, double value, const char* unit, double cycles) {
  std::printf("FIGURE %s %.3f %s %.1f\n", name.c_str(), value, unit, cycles);
  std::fflush(stdout);
}

// 32 mbufs, reused for every burst: the generator and the reflector write into them.
struct Burst {
  rte_mbuf* m[kBurst];
  bool ok[kBurst];
  uint8_t* data(unsigned i) {
    m[i]->data_off = RTE_PKTMBUF_HEADROOM;
    return rte_pktmbuf_mtod(m[i], uint8_t*);
  }
  void set_len(unsigned i, size_t len) {
    m[i]->data_len = static_cast<uint16_t>(len);
    m[i]->pkt_len = static_cast<uint32_t>(len);
    m[i]->l3_len = 20;
    m[i]->ol_flags = 0;
  }
  void put(unsigned i, uint8_t proto, const Tuple4& t, uint8_t flags, uint32_t seq, uint32_t ack, size_t payload) {
    set_len(i, write_ip_packet(data(i), proto, t, flags, seq, ack, payload));
  }
};

// Where the balancer sent each flow, read from its rewritten first packet: what the reflector answers from.
struct FlowState {
  std::vector<uint32_t> laddr;  // FullNAT: the local address the server sees; NAT: unused
  std::vector<uint32_t> daddr;
  std::vector<uint16_t> lport;
  explicit FlowState(uint64_t n) : laddr(n), daddr(n), lport(n) {}
  void record(uint64_t flow, const Tuple4& sent) {
    laddr[flow] = sent.saddr;
    lport[flow] = sent.sport;
    daddr[flow] = sent.daddr;
  }
  // The server's packet of `flow`: to the local address (FullNAT) or straight to the client (NAT).
  Tuple4 reply(uint64_t flow, const Tuple4& client, bool nat) const {
    return nat ? Tuple4{daddr[flow], client.saddr, kDestPort, client.sport}
               : Tuple4{daddr[flow], laddr[flow], kDestPort, lport[flow]};
  }
};

class Runner {
 public:
  Runner(BenchCore& core, rte_mempool* pool) : core_(core) {
    if (rte_pktmbuf_alloc_bulk(pool, b_.m, kBurst) != 0) {
      std::fprintf(stderr, "mbufs: %s\n", rte_strerror(rte_errno));
      std::exit(1);
    }
  }
  // Runs the burst as filled, adding its cycles; returns how many the balancer forwarded.
  // A burst the scheduler interrupted (the two cores here are shared with builds) is left out of the count:
  // a time slice is millions of cycles, a burst of the slowest case a few ten thousand.
  unsigned run(unsigned n) {
    const uint64_t t0 = rte_rdtsc_precise();
    const unsigned fw = core_.run(b_.m, static_cast<uint16_t>(n), b_.ok);
    const uint64_t d = rte_rdtsc_precise() - t0;
    if (d < kPreempted) {
      cycles_ += d;
      packets_ += n;
    } else {
      ++preempted_;
    }
    dropped_ += n - fw;
    return fw;
  }
  void advance(uint32_t seconds) {
    const uint64_t t0 = rte_rdtsc_precise();
    core_.advance(seconds);
    cycles_ += rte_rdtsc_precise() - t0;
  }
  void reset() { cycles_ = packets_ = dropped_ = preempted_ = 0; }
  uint64_t preempted() const { return preempted_; }
  Burst& burst() { return b_; }
  uint64_t cycles() const { return cycles_; }
  uint64_t packets() const { return packets_; }
  uint64_t dropped() const { return dropped_; }

 private:
  BenchCore& core_;
  Burst b_{};
  uint64_t cycles_ = 0, packets_ = 0, dropped_ = 0, preempted_ = 0;
};

// Opens `n` flows: the first packet (SYN or the first datagram) of each, the server's answer, and for TCP
// the client's ACK. Returns the cycles per new connection of the first step.
double open_flows(Runner& r, FlowState& fs, uint64_t n, uint8_t proto, uint16_t vport, bool nat) {
  Burst& b = r.burst();
  const bool tcp = proto == IPPROTO_TCP;
  r.reset();
  for (uint64_t base = 0; base < n; base += kBurst) {
    const unsigned k = static_cast<unsigned>(std::min<uint64_t>(kBurst, n - base));
    for (unsigned i = 0; i < k; ++i) b.put(i, proto, client_flow(base + i, 0xcb00710a, vport), kSyn, 1000, 0, tcp ? 0 : kSeg);
    r.run(k);
    for (unsigned i = 0; i < k; ++i) fs.record(base + i, read_tuple(b.data(i)));
  }
  const double per_conn = static_cast<double>(r.cycles()) / static_cast<double>(r.packets());
  if (r.dropped() != 0) std::fprintf(stderr, "open: %" PRIu64 " first packets refused\n", r.dropped());
  for (uint64_t base = 0; base < n; base += kBurst) {
    const unsigned k = static_cast<unsigned>(std::min<uint64_t>(kBurst, n - base));
    for (unsigned i = 0; i < k; ++i) {
      const Tuple4 c = client_flow(base + i, 0xcb00710a, vport);
      b.put(i, proto, fs.reply(base + i, c, nat), kSyn | kAck, 5000, 1001, tcp ? 0 : kSeg);
    }
    r.run(k);
    if (!tcp) continue;
    for (unsigned i = 0; i < k; ++i) b.put(i, proto, client_flow(base + i, 0xcb00710a, vport), kAck, 1001, 5001, 0);
    r.run(k);
  }
  return per_conn;
}

void run_established(BenchCore& core, rte_mempool* pool, const Options& o, const std::string& label, uint8_t proto,
                     bool nat, long rss_before) {
  Runner r(core, pool);
  FlowState fs(o.flows);
  const uint16_t vport = proto == IPPROTO_TCP ? 80 : 53;
  const double syn_cycles = open_flows(r, fs, o.flows, proto, vport, nat);
  if (label == "fnat-tcp") {
    figure("new_conn_" + std::to_string(o.flows), hz() / syn_cycles / 1e6, "Mconn/s", syn_cycles);
  }
  const long rss_after = rss_kb();
  const uint64_t open_drops = r.dropped();
  Burst& b = r.burst();
  SplitMix rng{42};
  uint64_t flows_of[kBurst];
  r.reset();
  const uint64_t bursts = o.packets / kBurst;
  for (uint64_t n = 0; n < bursts; ++n) {
    const bool inbound = (n & 1) == 0;  // half the segments from clients, half the servers' answers
    for (unsigned i = 0; i < kBurst; ++i) {
      const uint64_t f = flows_of[i] = rng.next() % o.flows;
      const Tuple4 c = client_flow(f, 0xcb00710a, vport);
      if (inbound) {
        b.put(i, proto, c, kAck | kPsh, 1001, 5001, kSeg);
      } else {
        b.put(i, proto, fs.reply(f, c, nat), kAck | kPsh, 5001, 1007, kSeg);
      }
    }
    r.run(kBurst);
  }
  const double cpp = static_cast<double>(r.cycles()) / static_cast<double>(r.packets());
  const std::string name = label + "_" + std::to_string(o.flows);
  if (r.preempted() != 0) std::fprintf(stderr, "%s: %" PRIu64 " interrupted bursts left out\n", name.c_str(), r.preempted());
  figure(name, hz() / cpp / 1e6, "Mpps", cpp);
  if (r.dropped() != 0 || open_drops != 0) {
    std::fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " segments refused (%" PRIu64 " while opening)\n",
                 name.c_str(), r.dropped(), r.packets(), open_drops);
  }
  const fulcrum::ipvs::LcoreIpvs& L = core.lcore();
  const double table = static_cast<double>(core.table_bytes()) / static_cast<double>(L.conns->capacity());
  figure("mem_table_per_conn_" + name, table, "bytes", 0);
  // RSS growth per connection, less the benchmark's own 10 bytes a flow (FlowState); below 64K flows the
  // fixed costs (local-port pools, EAL) would swamp it.
  if (o.flows >= 65536) {
    figure("mem_rss_per_conn_" + name,
           static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(o.flows) - 10.0, "bytes", 0);
    figure("rss_" + name, static_cast<double>(rss_after) / 1024.0, "MiB", 0);
  }
}

// Lifecycles in groups of 32 flows, one burst per step; every 16384 the worker's clock moves past TIME_WAIT,
// so the expiry and release of the closed connections are in the count too.
void run_lifecycles(BenchCore& core, rte_mempool* pool, const Options& o) {
  Runner r(core, pool);
  Burst& b = r.burst();
  constexpr uint8_t P = IPPROTO_TCP;
  const uint64_t lifecycles = o.packets / 8;
  uint32_t laddr[kBurst], daddr[kBurst];
  uint16_t lport[kBurst];
  uint64_t since_advance = 0;
  for (uint64_t base = 0; base < lifecycles; base += kBurst) {
    Tuple4 c[kBurst];
    // Clients cycle through 240000 tuples: by a tuple's next turn its last connection has expired.
    for (unsigned i = 0; i < kBurst; ++i) c[i] = client_flow((base + i) % 240000, 0xcb00710a, 80);
    auto to_server = [&](uint8_t flags, uint32_t seq, uint32_t ack, size_t len) {
      for (unsigned i = 0; i < kBurst; ++i) b.put(i, P, c[i], flags, seq, ack, len);
      r.run(kBurst);
    };
    auto from_server = [&](uint8_t flags, uint32_t seq, uint32_t ack, size_t len) {
      for (unsigned i = 0; i < kBurst; ++i) b.put(i, P, {daddr[i], laddr[i], kDestPort, lport[i]}, flags, seq, ack, len);
      r.run(kBurst);
    };
    to_server(kSyn, 1000, 0, 0);
    for (unsigned i = 0; i < kBurst; ++i) {
      const Tuple4 t = read_tuple(b.data(i));
      laddr[i] = t.saddr;
      lport[i] = t.sport;
      daddr[i] = t.daddr;
    }
    from_server(kSyn | kAck, 5000, 1001, 0);
    to_server(kAck, 1001, 5001, 0);
    to_server(kAck | kPsh, 1001, 5001, 100);       // the request
    from_server(kAck | kPsh, 5001, 1101, 400);     // the response
    to_server(kFin | kAck, 1101, 5401, 0);
    from_server(kFin | kAck, 5401, 1102, 0);
    to_server(kAck, 1102, 5402, 0);
    since_advance += kBurst;
    if (since_advance >= 16384) {
      r.advance(121);
      since_advance = 0;
    }
  }
  r.advance(121);
  const double per_life = static_cast<double>(r.cycles()) / (static_cast<double>(r.packets()) / 8);
  figure("lifecycles", hz() / per_life / 1e6, "M/s", per_life / 8);
  if (r.dropped() != 0) {
    std::fprintf(stderr, "lifecycles: %" PRIu64 " of %" PRIu64 " packets refused\n", r.dropped(), r.packets());
  }
}

// New connections alone, with the given scheduler: SYNs of flows never seen, into a table that has room.
void run_new_conns(BenchCore& core, rte_mempool* pool, const Options& o) {
  Runner r(core, pool);
  FlowState fs(o.flows);
  Burst& b = r.burst();
  for (uint64_t base = 0; base < o.flows; base += kBurst) {
    const unsigned k = static_cast<unsigned>(std::min<uint64_t>(kBurst, o.flows - base));
    for (unsigned i = 0; i < k; ++i) b.put(i, IPPROTO_TCP, client_flow(base + i, 0xcb00710a, 80), kSyn, 1000, 0, 0);
    r.run(k);
  }
  const double per_conn = static_cast<double>(r.cycles()) / static_cast<double>(r.packets());
  figure("new_conn_" + o.sched, hz() / per_conn / 1e6, "Mconn/s", per_conn);
  if (r.dropped() != 0) std::fprintf(stderr, "new_conn: %" PRIu64 " SYNs refused\n", r.dropped());
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: lifecycle_bench est|life|udp|nat|new [--flows N] [--packets P] [--sched NAME]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage();
  Options o;
  o.which = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--flows") o.flows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--packets") o.packets = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--sched") o.sched = argv[i + 1];
    else usage();
  }
  if (o.flows == 0 || o.packets < kBurst * 8) usage();
  start_eal("lifecycle-bench", 64);
  rte_mempool* pool = rte_pktmbuf_pool_create("lifecycle_bench", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) {
    std::fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  const long rss_before = rss_kb();
  CoreConfig cfg;
  cfg.scheduler = o.sched;
  cfg.flows = o.flows;
  // Room for every flow with an eighth to spare, as a table sized for the expected load would have.
  cfg.conn_max = static_cast<uint32_t>(o.flows + o.flows / 8 + 1024);
  if (o.which == "est" || o.which == "udp" || o.which == "nat") {
    cfg.proto = o.which == "udp" ? IPPROTO_UDP : IPPROTO_TCP;
    cfg.vport = o.which == "udp" ? 53 : 80;
    cfg.method = o.which == "nat" ? ForwardMethod::masq : ForwardMethod::fullnat;
    BenchCore core(cfg);
    run_established(core, pool, o, o.which == "udp" ? "fnat-udp" : o.which == "nat" ? "nat-tcp" : "fnat-tcp",
                    cfg.proto, o.which == "nat", rss_before);
  } else if (o.which == "life") {
    cfg.flows = 240000;
    cfg.conn_max = 1 << 20;
    BenchCore core(cfg);
    run_lifecycles(core, pool, o);
  } else if (o.which == "new") {
    BenchCore core(cfg);
    run_new_conns(core, pool, o);
  } else {
    usage();
  }
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return 0;
}
