// The dataplane's set-up: per-worker state, the hooks into ipv4 and ipv6, the redirect rings and their job,
// the expiry timers, and the table of forwarding modules.

#include "ipvs_dataplane.hpp"

#include <rte_errno.h>
#include <rte_random.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "../ipvs_log.hpp"

namespace fulcrum::ipvs {

extern const ForwardOps kFullnatOps;
extern const ForwardOps kMasqOps;
extern const ForwardOps kDrouteOps;
extern const ForwardOps kTunnelOps;
extern const ForwardOps kSnatOps;

const ForwardOps* forward_ops(ForwardMethod m) {
  static const std::array<const ForwardOps*, kForwardMethods> table = [] {
    std::array<const ForwardOps*, kForwardMethods> t{};
    t[static_cast<unsigned>(ForwardMethod::fullnat)] = &kFullnatOps;
    t[static_cast<unsigned>(ForwardMethod::masq)] = &kMasqOps;
    t[static_cast<unsigned>(ForwardMethod::droute)] = &kDrouteOps;
    t[static_cast<unsigned>(ForwardMethod::tunnel)] = &kTunnelOps;
    t[static_cast<unsigned>(ForwardMethod::snat)] = &kSnatOps;
    return t;
  }();
  const auto i = static_cast<unsigned>(m);
  return i < kForwardMethods ? table[i] : nullptr;
}

namespace {

// Before inet's own local-in work (none registered there yet) and before anything a later layer adds.
constexpr int kHookPriority = 100;
constexpr unsigned kRedirectBurst = 32;

}  // namespace

IpvsDataplane::IpvsDataplane(inet::Inet& inet, ServiceManager& services, ConnSettings& settings,
                             const IpvsSettings& cfg)
    : inet_(inet), services_(services), settings_(settings), cfg_(cfg) {
  for (unsigned i = 0; i < kTcpStates; ++i) {
    if (cfg.tcp_state_s[i] != 0) tcp_timeouts_.seconds[i] = cfg.tcp_state_s[i];
  }
}

IpvsDataplane::~IpvsDataplane() { stop(); }

void IpvsDataplane::init(core::ModuleContext& ctx) {
  core::Runtime& rt = ctx.runtime;
  bus_ = &rt.bus();
  tick_us_ = rt.config().timer_tick_us;
  const auto& workers = rt.workers();
  for (unsigned w = 0; w < workers.size(); ++w) {
    auto L = std::make_unique<LcoreIpvs>();
    L->dp = this;
    L->lcore = workers[w];
    L->worker = w;
    L->workers = static_cast<unsigned>(workers.size());
    L->conns = std::make_unique<ConnTable>(cfg_.conn_max);
    L->services = &services_.worker_table(w);
    L->laddrs = &services_.laddr_pool(w);
    L->snat = &services_.snat_rules();
    L->wheel = &rt.timers(workers[w]);
    L->expire_kind = L->wheel->register_kind(&IpvsDataplane::on_expire, L.get());
    // Templates: a quarter of the connections (each template steers at least one), within 1k..256k.
    L->persist = std::make_unique<PersistTable>(std::clamp<uint32_t>(cfg_.conn_max / 4, 1024, 1u << 18),
                                                0x9e3779b97f4a7c15ull ^ (uint64_t{rte_rand()} << 1));
    L->nat_dests.init();
    const std::string name = "ipvs_redir_" + std::to_string(w);
    // Many workers pass replies to one: multi-producer, single-consumer.
    L->inbox = rte_ring_create(name.c_str(), cfg_.redirect_ring, static_cast<int>(rte_lcore_to_socket_id(workers[w])),
                               RING_F_SC_DEQ);
    if (L->inbox == nullptr) {
      throw std::runtime_error("ipvs: redirect ring " + name + ": " + rte_strerror(rte_errno));
    }
    rings_.push_back(L->inbox);
    by_lcore_[workers[w]] = L.get();
    by_worker_.push_back(std::move(L));
  }
  for (inet::Family f : {inet::Family::v4, inet::Family::v6}) {
    inet_.register_hook(f, inet::HookPoint::pre_routing, kHookPriority, "ipvs", &IpvsDataplane::hook, this);
    // Reassembled packets reach the hooks first at local-in.
    inet_.register_hook(f, inet::HookPoint::local_in, kHookPriority, "ipvs", &IpvsDataplane::hook, this);
  }
  rt.add_worker_job({"ipvs.redirect", &IpvsDataplane::redirect_job, this, core::Job::When::every_loop, 1, 0});
  dump_msg_ = core::MsgType<ConnDumpMsg, ConnDumpReply>::define<IpvsDataplane, &IpvsDataplane::on_conn_dump>(
      *bus_, kMsgConnDump, "ipvs.conn_dump", this);
  FLOG(g_log, INFO, "dataplane: %zu workers, %u connections each (%zu MiB each), local ports %u-%u",
       by_worker_.size(), cfg_.conn_max,
       by_worker_.empty() ? size_t{0} : by_worker_[0]->conns->memory_bytes() >> 20, cfg_.laddr_port_min,
       cfg_.laddr_port_max);
}

void IpvsDataplane::stop() {
  for (auto& L : by_worker_) {
    if (L->inbox == nullptr) continue;
    void* m = nullptr;
    while (rte_ring_dequeue(L->inbox, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(L->inbox);
    L->inbox = nullptr;
  }
  rings_.clear();
  by_lcore_.fill(nullptr);
  by_worker_.clear();
}

void IpvsDataplane::hook(void* self, inet::HookBurst& b) {
  auto* dp = static_cast<IpvsDataplane*>(self);
  LcoreIpvs* L = dp->lcore();
  if (L == nullptr) return;  // the master's own packets (replies it originates) are not ipvs traffic
  dp->process(*L, b.family, b.pkts, b.n, b.verdicts);
}

uint32_t IpvsDataplane::redirect_job(void* self) {
  auto* dp = static_cast<IpvsDataplane*>(self);
  LcoreIpvs* L = dp->lcore();
  if (L == nullptr) return 0;
  rte_mbuf* pkts[kRedirectBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(L->inbox, reinterpret_cast<void**>(pkts), kRedirectBurst, nullptr);
  if (n == 0) return 0;
  L->add(DpCtr::redirect_in, n);
  // Split by family, keeping the order within each.
  rte_mbuf* by_family[2][kRedirectBurst];
  uint16_t count[2] = {0, 0};
  for (unsigned i = 0; i < n; ++i) {
    const bool v6 = (*rte_pktmbuf_mtod(pkts[i], uint8_t*) >> 4) == 6;
    by_family[v6][count[v6]++] = pkts[i];
  }
  for (unsigned f = 0; f < 2; ++f) {
    if (count[f] == 0) continue;
    inet::Verdict verdicts[kRedirectBurst] = {};
    dp->process(*L, f == 0 ? inet::Family::v4 : inet::Family::v6, by_family[f], count[f], verdicts);
    // The owner found no connection after all (it expired meanwhile): nothing else will take the packet.
    for (uint16_t i = 0; i < count[f]; ++i) {
      if (verdicts[i] != inet::Verdict::stolen) rte_pktmbuf_free(by_family[f][i]);
    }
  }
  return n;
}

}  // namespace fulcrum::ipvs
