#include "bench_core.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "dataplane.hpp"             // netif's, from netif/src: only constructed, never opened
#include "dataplane_test_util.hpp"   // DataplaneTestAccess, IpvsDataplane's friend for the private steps
#include "fulcrum/ipvs/scheduler_registry.hpp"

namespace fulcrum::bench {

using namespace fulcrum::ipvs;

void start_eal(const char* name, unsigned mem_mb) {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpu = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) ++cpu;
  }
  // EAL keeps pointers into argv: storage for the life of the process.
  static std::vector<std::string> args = {name, "--no-pci", "--no-huge", "-m", std::to_string(mem_mb),
                                          "--no-shconf", "--no-telemetry", "--file-prefix",
                                          std::string(name) + "-" + std::to_string(getpid()), "-l",
                                          std::to_string(cpu), "--log-level", "error"};
  static std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    std::exit(1);
  }
}

namespace {
void put_v4(uint8_t* bytes16, uint32_t host) {
  std::memset(bytes16, 0, 16);
  const uint32_t be = rte_cpu_to_be_32(host);
  std::memcpy(bytes16, &be, 4);
}
IpAddr addr_of(const uint8_t* bytes) {
  IpAddr a;
  std::memcpy(a.bytes.data(), bytes, 16);
  return a;
}
}  // namespace

BenchCore::BenchCore(const CoreConfig& cfg) : cfg_(cfg) {
  ndp_ = std::make_unique<netif::Dataplane>();
  nif_ = std::make_unique<netif::Netif>(*ndp_);
  inet_ = std::make_unique<inet::Inet>(*nif_);
  dp_ = std::make_unique<IpvsDataplane>(*inet_, sm_, settings_, IpvsSettings{});
  L.dp = dp_.get();
  L.worker = 0;
  L.workers = 1;
  L.conns = std::make_unique<ConnTable>(cfg.conn_max);
  L.services = &services_;
  L.laddrs = &ports_;
  L.wheel = &wheel_;
  L.expire_kind = wheel_.register_kind(DataplaneTestAccess::on_expire(), &L);

  svc_ = std::make_unique<WorkerService>(cfg.dests);
  svc_->key.protocol = cfg.proto;
  svc_->key.family = Family::v4;
  put_v4(svc_->key.addr.bytes.data(), cfg.vip);
  svc_->key.port = rte_cpu_to_be_16(cfg.vport);
  svc_->slot = 3;
  svc_->uid = 41;
  svc_->forward = cfg.method;
  svc_->toa = false;  // the 64-byte figures: TOA would grow every SYN by 8 bytes (fullnat_bench times it)
  svc_->scheduler_name = cfg.scheduler;
  if (cfg.method == ForwardMethod::fullnat) {
    // 64512 ports per address; one spare address so that the last flows never wait for a port.
    const uint64_t need = cfg.flows / 64512 + 2;
    if (need > kMaxLaddrs) throw std::invalid_argument("too many flows for the local-address ids");
    for (uint16_t id = 0; id < need; ++id) {
      LocalAddress la;
      la.family = 4;
      put_v4(la.addr, kLaddrBase + id);
      entries_.push_back(ports_.prepare(la));
      if (!ports_.install(id, entries_.back().get())) throw std::runtime_error("local port pool install");
      svc_->laddr_ids.push_back(id);
    }
  }
  for (unsigned i = 0; i < cfg.dests; ++i) {
    svc_->dests[i].id.family = Family::v4;
    put_v4(svc_->dests[i].id.addr.bytes.data(), kDestBase + i);
    svc_->dests[i].id.port = rte_cpu_to_be_16(kDestPort);
    svc_->extra[i].forward = cfg.method;
    svc_->extra[i].uid = 900 + i;
  }
  svc_->scheduler = make_scheduler(cfg.scheduler);
  svc_->scheduler->rebuild(svc_->dests);
  WorkerService* old = nullptr;
  if (!services_.install(svc_->slot, svc_.get(), &old)) throw std::runtime_error("service install");
}

BenchCore::~BenchCore() {
  WorkerService* old = nullptr;
  services_.install(svc_->slot, nullptr, &old);
}

size_t BenchCore::laddr_bytes() const {
  // Each entry keeps its free ports and an in-use byte per port (local_port_pool.hpp).
  return entries_.size() * (sizeof(LocalPortPool::Entry) + 64512 * (sizeof(uint16_t) + 1));
}

void BenchCore::advance(uint32_t seconds) { wheel_.advance(wheel_.now() + dp_->ticks(seconds)); }

// IpvsDataplane::process (conn_path.cpp) step by step, through the dataplane's own functions, less the
// ICMP branch, the conn_reuse check on a SYN to a closed connection (private; the lifecycle case lets its
// connections expire instead), the RST for a non-SYN miss, and Inet::output. One worker: on_miss's steering
// and redirect never apply. Keep it in step with process when that changes.
unsigned BenchCore::run(rte_mbuf** pkts, uint16_t n, bool* ok) {
  constexpr unsigned kChunk = 32;
  unsigned forwarded = 0;
  for (uint16_t base = 0; base < n; base += kChunk) {
    const uint16_t k = std::min<uint16_t>(kChunk, static_cast<uint16_t>(n - base));
    FlowKey keys[kChunk];
    const FlowKey* kp[kChunk];
    PacketView views[kChunk];
    uint16_t at[kChunk];
    unsigned n_keys = 0;
    for (uint16_t i = 0; i < k; ++i) {
      ok[base + i] = false;
      if (i + 3 < k) rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i + 3], void*));
      if (parse_packet(pkts[base + i], 4, &views[n_keys], &keys[n_keys]) == ParseResult::flow) {
        kp[n_keys] = &keys[n_keys];
        at[n_keys++] = i;
      }
    }
    Conn* conns[kChunk];
    ConnDir dirs[kChunk];
    L.conns->lookup_burst(kp, n_keys, conns, dirs);
    for (unsigned j = 0; j < n_keys; ++j) {
      Conn* c = conns[j];
      ConnDir dir = dirs[j];
      if (c == nullptr) {
        // on_miss for a packet to the service: only a SYN opens a TCP connection.
        const FlowKey& fk = keys[j];
        WorkerService* svc = L.services->find(fk.proto, Family::v4, addr_of(fk.daddr), fk.dport);
        if (svc == nullptr) continue;
        if (fk.proto == IPPROTO_TCP && (views[j].tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn) continue;
        SchedInput in;
        std::memcpy(in.saddr.bytes.data(), fk.saddr, 16);
        std::memcpy(in.daddr.bytes.data(), fk.daddr, 16);
        in.sport = fk.sport;
        in.dport = fk.dport;
        in.family = Family::v4;
        in.protocol = fk.proto;
        in.now_s = L.wheel->now() / std::max<uint32_t>(1, dp_->ticks(1));
        const DestIndex di = svc->pick(in);
        if (di == kNoDest) continue;
        c = DataplaneTestAccess::create(*dp_, L, *svc, di, fk, pkts[base + at[j]]);
        if (c == nullptr) continue;
        dir = ConnDir::in;
      }
      EgressRoute route;
      if (DataplaneTestAccess::forward(*dp_, L, *c, dir, pkts[base + at[j]], views[j], &route)) {
        ok[base + at[j]] = true;
        ++forwarded;
      }
    }
  }
  return forwarded;
}

}  // namespace fulcrum::bench
