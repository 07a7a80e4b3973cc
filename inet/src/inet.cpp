// The Inet façade: per-lcore state, registrations, and the worker's side of neighbours (send through a
// neighbour, hold packets while it resolves, report what ARP/ND showed) and of the replicated tables.

#include "fulcrum/inet/inet.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fulcrum/ctrl/registry.hpp"
#include "inet_control.hpp"
#include "inet_log.hpp"

namespace fulcrum::inet {

core::LogModule g_log("inet");

namespace {

constexpr uint32_t kWorkerTickUs = 50'000;
constexpr unsigned kIndirectMbufs = 8191;

// The Ethernet address of an IP multicast group (RFC 1112, RFC 2464), or broadcast.
bool multicast_mac(Family f, const uint8_t* a, rte_ether_addr& out) {
  if (f == Family::v4) {
    if (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff) {
      std::memset(out.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
      return true;
    }
    if ((a[0] & 0xf0) != 0xe0) return false;
    const uint8_t m[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>(a[1] & 0x7f), a[2], a[3]};
    std::memcpy(out.addr_bytes, m, 6);
    return true;
  }
  if (a[0] != 0xff) return false;
  const uint8_t m[6] = {0x33, 0x33, a[12], a[13], a[14], a[15]};
  std::memcpy(out.addr_bytes, m, 6);
  return true;
}

}  // namespace

Inet::Inet(netif::Netif& netif) : netif_(netif) {}

Inet::~Inet() { stop(); }

void Inet::configure(core::ConfigTable& root) { cfg_ = read_inet_config(root); }

void Inet::init(core::ModuleContext& ctx) {
  try {
    build(ctx);
  } catch (...) {
    stop();  // while the runtime (its timer wheels, its bus) still exists
    throw;
  }
}

void Inet::build(core::ModuleContext& ctx) {
  runtime_ = &ctx.runtime;
  const auto& workers = ctx.runtime.workers();
  for (size_t i = 0; i <= workers.size(); ++i) {
    auto lc = std::make_unique<LcoreInet>();
    const bool master = i == workers.size();
    lc->lcore = master ? ctx.runtime.master() : workers[i];
    lc->worker = master ? -1 : static_cast<int>(i);
    lc->wheel = &ctx.runtime.timers(lc->lcore);
    lc->icmp_errors = core::LogRateLimit(cfg_.icmp_errors_per_s, std::max<uint32_t>(1, cfg_.icmp_errors_per_s / 2));
    if (!master) {
      lc->tables = std::make_unique<LcoreTables>(lc->lcore, cfg_.limits);
      lc->pending.init(cfg_.neigh_pending, cfg_.neigh_queue_len);
      lc->neigh_used = std::make_unique<std::atomic<uint32_t>[]>(cfg_.limits.neighbours + 1);
      by_worker_.push_back(lc.get());
    }
    by_lcore_[lc->lcore] = lc.get();
    lcore_list_.push_back(lc.get());
    owned_.push_back(std::move(lc));
  }
  // Fragments keep pointing into the packet they were cut from: these mbufs carry no data of their own.
  indirect_pool_ = rte_pktmbuf_pool_create("inet_indirect", kIndirectMbufs, 64, 0, 0,
                                           static_cast<int>(rte_socket_id()));
  if (indirect_pool_ == nullptr) {
    throw std::runtime_error(std::string("inet: cannot allocate the fragments' mbuf pool: ") +
                             rte_strerror(rte_errno));
  }
  ctx.ctrl.claim("inet", ctrl::ids::kInetFirst, ctrl::ids::kInetLast);
  control_ = std::make_unique<InetControl>(*this, ctx);
  control_->sync_devices();
  control_->apply_static(cfg_);
  control_->seal();
  ctx.runtime.add_worker_job({"inet.tick", &Inet::worker_tick_job, this, core::Job::When::every_interval, 1,
                              kWorkerTickUs});
}

void Inet::stop() {
  // The lcores have stopped: what waits for a neighbour will never be sent.
  for (auto& lc : owned_) {
    lc->pending.expire(0, 0, [](const NeighKey&, rte_mbuf* m) { rte_pktmbuf_free(m); });
  }
  control_.reset();
  owned_.clear();
  lcore_list_.clear();
  by_worker_.clear();
  by_lcore_.fill(nullptr);
  if (indirect_pool_ != nullptr) rte_mempool_free(indirect_pool_);
  indirect_pool_ = nullptr;
}

// ---- registrations ----

namespace {

// Hook chains, protocol tables and families are read by the workers without a lock: they are fixed before the
// lcores run.
void check_not_running(const std::atomic<bool>& running, const std::string& what) {
  if (running.load(std::memory_order_relaxed)) {
    throw std::logic_error("inet: " + what + " registered after the lcores started");
  }
}

}  // namespace

void Inet::register_family(Family f, FamilyOps& ops) {
  check_not_running(running_, std::string("family ") + family_name(f));
  if (families_[family_index(f)] != nullptr) {
    throw std::logic_error(std::string("inet: ") + family_name(f) + " registered twice");
  }
  families_[family_index(f)] = &ops;
}

void Inet::register_hook(Family f, HookPoint point, int priority, const char* name, HookFn fn, void* ctx) {
  check_not_running(running_, std::string("hook ") + name);
  hooks_[family_index(f)][static_cast<unsigned>(point)].add(priority, name, fn, ctx);
}

void Inet::register_protocol(Family f, uint8_t proto, const char* name, ProtoHandler fn, void* ctx) {
  check_not_running(running_, std::string("protocol ") + name);
  ProtoEntry& e = protocols_[family_index(f)][proto];
  if (e.fn != nullptr) {
    throw std::logic_error(std::string("inet: ") + family_name(f) + " protocol " + std::to_string(proto) +
                           " has a handler already (" + e.name + "), " + name + " can not register");
  }
  e = ProtoEntry{fn, ctx, name};
}

// ---- packet path ----

void Inet::output(Family f, rte_mbuf** pkts, uint16_t n) {
  LcoreInet* lc = lcore();
  FamilyOps* ops = families_[family_index(f)];
  if (lc == nullptr || ops == nullptr || lc->worker < 0) {
    rte_pktmbuf_free_bulk(pkts, n);  // not a worker of ours: a bug in the caller, never traffic
    return;
  }
  ops->output(*lc, pkts, n);
}

void Inet::send_frame(LcoreInet& lc, Family f, Ifindex ifindex, const rte_ether_addr& dst, uint16_t ethertype,
                      rte_mbuf* m) {
  // Some PMDs (af_packet among them) send one segment per frame: a chain that fits one buffer, such as a
  // reassembled packet or a fragment, is flattened first. Fails harmlessly when it does not fit.
  if (m->nb_segs > 1) rte_pktmbuf_linearize(m);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(m, sizeof(rte_ether_hdr)));
  if (eth == nullptr) {
    lc.ctr(f).add(Ctr::no_mbuf);  // no headroom: as good as no buffer
    rte_pktmbuf_free(m);
    return;
  }
  rte_ether_addr_copy(&dst, &eth->dst_addr);
  if (lc.tables) {
    rte_ether_addr_copy(&lc.tables->ifv(ifindex).mac, &eth->src_addr);
  } else if (const auto mac = netif_.mac(ifindex)) {
    std::memcpy(eth->src_addr.addr_bytes, mac->bytes.data(), RTE_ETHER_ADDR_LEN);
  }
  eth->ether_type = rte_cpu_to_be_16(ethertype);
  m->l2_len = sizeof(rte_ether_hdr);
  lc.ctr(f).add(Ctr::out_packets);
  netif_.send(m, ifindex);
}

void Inet::deliver(LcoreInet& lc, Family f, rte_mbuf** pkts, const uint8_t* protos, uint16_t n) {
  constexpr uint16_t kChunk = 256;
  if (n > kChunk) {
    deliver(lc, f, pkts, protos, kChunk);
    deliver(lc, f, pkts + kChunk, protos + kChunk, static_cast<uint16_t>(n - kChunk));
    return;
  }
  FamilyCounters& c = lc.ctr(f);
  rte_mbuf* group[kChunk];
  bool done[kChunk] = {};
  for (uint16_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    const uint8_t proto = protos[i];
    uint16_t k = 0;
    for (uint16_t j = i; j < n; ++j) {
      if (done[j] || protos[j] != proto) continue;
      done[j] = true;
      group[k++] = pkts[j];
    }
    const ProtoEntry& e = protocols_[family_index(f)][proto];
    if (e.fn != nullptr) {
      c.add(Ctr::in_delivers, k);
      e.fn(e.ctx, group, k);
      continue;
    }
    // Nobody here speaks it (TCP to an address with no ipvs service yet, say): the kernel may.
    c.add(Ctr::in_no_protocol, k);
    for (uint16_t j = 0; j < k; ++j) to_kernel(lc, f, group[j]);
  }
}

void Inet::neigh_send(LcoreInet& lc, Family f, Ifindex ifindex, const uint8_t* nexthop, rte_mbuf* m) {
  rte_ether_addr dst;
  if (multicast_mac(f, nexthop, dst)) {
    send_l2(lc, f, ifindex, dst, m);
    return;
  }
  const NeighKey key = NeighKey::of(f, ifindex, nexthop);
  uint32_t slot = lc.cached_slot;
  // A fixed-size memcmp of a padding-free key compiles to three loads and compares; the defaulted
  // operator<=> on its array calls the library's memcmp (a tenth of the forwarding path's time).
  if (slot == 0 || std::memcmp(&lc.cached_key, &key, sizeof key) != 0) {
    slot = lc.tables->find_neigh(key);
    lc.cached_key = key;
    lc.cached_slot = slot;
  }
  if (slot != 0) {
    const uint32_t tick = lc.wheel->now() | 1u;
    auto& used = lc.neigh_used[slot];
    if (used.load(std::memory_order_relaxed) != tick) used.store(tick, std::memory_order_relaxed);
    send_l2(lc, f, ifindex, lc.tables->neigh(slot).mac, m);
    return;
  }
  FamilyCounters& c = lc.ctr(f);
  switch (lc.pending.enqueue(key, m, lc.wheel->now())) {
    case PendingQueue::Result::queued_first:
      c.add(Ctr::neigh_queued);
      if (control_->send_resolve(key) == 0) {
        c.add(Ctr::neigh_resolve_msgs);
      } else {
        c.add(Ctr::neigh_bus_errors);  // the pending entry expires, and the next packet asks again
      }
      return;
    case PendingQueue::Result::queued:
      c.add(Ctr::neigh_queued);
      return;
    case PendingQueue::Result::full:
      c.add(Ctr::neigh_queue_full);
      rte_pktmbuf_free(m);
      return;
  }
}

void Inet::neigh_seen(LcoreInet& lc, const NeighKey& key, const Mac* mac, bool confirmed, bool update_only) {
  uint32_t flushed = 0;
  if (mac != nullptr && lc.pending.active() > 0) {
    // What waited for this neighbour goes now, a bus round trip before the master's table message would
    // let it.
    rte_ether_addr dst;
    std::memcpy(dst.addr_bytes, mac->data(), RTE_ETHER_ADDR_LEN);
    flushed = lc.pending.take(key, [&](rte_mbuf* m) { send_l2(lc, key.family, key.ifindex, dst, m); });
  }
  const uint32_t slot = lc.tables->find_neigh(key);
  if (slot != 0) {
    const NeighEntry& e = lc.tables->neigh(slot);
    if (e.state == NeighState::permanent) return;
    const bool same_mac = mac == nullptr || std::memcmp(e.mac.addr_bytes, mac->data(), RTE_ETHER_ADDR_LEN) == 0;
    // Nothing the master does not know: it would change nothing.
    if (same_mac && (!confirmed || e.state == NeighState::reachable)) return;
  } else if (update_only && flushed == 0) {
    return;
  }
  LearntMsg m;
  m.key = key;
  if (mac != nullptr) m.mac = *mac;
  m.has_mac = mac != nullptr;
  m.confirmed = confirmed;
  m.update_only = update_only && flushed == 0;
  lc.ctr(key.family).add(control_->send_learnt(m) == 0 ? Ctr::nd_learnt : Ctr::neigh_bus_errors);
}

void Inet::to_kernel(LcoreInet& lc, Family f, rte_mbuf* m) {
  lc.ctr(f).add(Ctr::in_to_kernel);
  netif_.to_kernel(m);
}

// ---- replicated tables, worker side ----

void Inet::apply(unsigned worker_index, const TableMsg& msg) {
  LcoreInet& lc = *by_worker_[worker_index];
  const int rc = lc.tables->apply(msg);
  if (rc != 0) {
    FLOG_RL(lc.log_limit, g_log, ERR, "lcore %u: table change %u (seq %llu) refused: %s", lc.lcore,
            static_cast<unsigned>(msg.op), static_cast<unsigned long long>(msg.seq), std::strerror(rc));
  }
  if (msg.op != TableOp::neigh_set && msg.op != TableOp::neigh_del) return;
  lc.cached_slot = 0;
  const NeighKey key = NeighKey::of(msg.family, msg.ifindex, msg.addr.data());
  if (lc.pending.active() == 0) return;
  if (msg.op == TableOp::neigh_set) {
    rte_ether_addr dst;
    std::memcpy(dst.addr_bytes, msg.mac.data(), RTE_ETHER_ADDR_LEN);
    lc.pending.take(key, [&](rte_mbuf* m) { send_l2(lc, msg.family, msg.ifindex, dst, m); });
  } else {
    const uint32_t n = lc.pending.take(key, [](rte_mbuf* m) { rte_pktmbuf_free(m); });
    lc.ctr(msg.family).add(Ctr::neigh_unresolved, n);
  }
}

uint32_t Inet::worker_tick_job(void* self) {
  auto* inet = static_cast<Inet*>(self);
  LcoreInet* lc = inet->lcore();
  if (lc == nullptr || lc->pending.active() == 0) return 0;
  // Past the master's last try (every probe and one more interval), a held packet has no future.
  const auto& n = inet->cfg_.neigh;
  const uint64_t ms = static_cast<uint64_t>(n.probes + 1) * n.retrans_ms;
  const uint32_t ticks = static_cast<uint32_t>(ms * 1000 / inet->runtime_->config().timer_tick_us);
  return lc->pending.expire(lc->wheel->now(), ticks, [&](const NeighKey& key, rte_mbuf* m) {
    lc->ctr(key.family).add(Ctr::neigh_unresolved);
    rte_pktmbuf_free(m);
  });
}

}  // namespace fulcrum::inet
