#include "inet_control.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <rte_cycles.h>

#include "fulcrum/ctrl/registry.hpp"
#include "inet_log.hpp"

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;

constexpr uint32_t kDevicePollUs = 1'000'000;
constexpr uint32_t kAnnounceUs = 100'000;

}  // namespace

InetControl::InetControl(Inet& inet, core::ModuleContext& ctx)
    : inet_(inet),
      runtime_(ctx.runtime),
      tables_(inet.config().limits, [this](Ifindex i) { return dev_name(i); }),
      repl_(ctx.runtime.bus(), ctx.runtime.workers(), kBusTable,
            [](void* self, unsigned w, const TableMsg& m) { static_cast<Inet*>(self)->apply(w, m); }, &inet),
      neigh_(inet.config().neigh, inet.config().limits.neighbours, ctx.runtime.config().timer_tick_us,
             ctx.runtime.timers(ctx.runtime.master()), *this) {
  for (LcoreInet* lc : inet.lcores()) {
    if (lc->worker < 0) master_lc_ = lc;
  }
  auto& bus = ctx.runtime.bus();
  resolve_msg_ = core::MsgType<NeighKey>::define<InetControl, &InetControl::on_resolve>(bus, kBusNeighResolve,
                                                                                       "inet.neigh_resolve", this);
  learnt_msg_ = core::MsgType<LearntMsg>::define<InetControl, &InetControl::on_learnt>(bus, kBusNeighLearnt,
                                                                                     "inet.neigh_learnt", this);
  route_get_msg_ = core::MsgType<msg::RouteGetQuery, msg::RouteGetResult>::define<InetControl,
                                                                                  &InetControl::on_route_get>(
      bus, kBusRouteGet, "inet.route_get", this);
  ping_msg_ = core::MsgType<PingOrder>::define<InetControl, &InetControl::on_ping>(bus, kBusPing, "inet.ping", this);

  ctx.runtime.add_master_job({"inet.sync", &InetControl::sync_job, this, core::Job::When::every_loop, 1, 0});
  ctx.runtime.add_master_job(
      {"inet.devices", &InetControl::devices_job, this, core::Job::When::every_interval, 1, kDevicePollUs});
  ctx.runtime.add_master_job(
      {"inet.announce", &InetControl::announce_job, this, core::Job::When::every_interval, 1, kAnnounceUs});
  inet.netif().on_netdev_removed([this](Ifindex ifindex) { remove_device(ifindex); });

  register_addr_handlers(ctx.ctrl, *this);
  register_route_handlers(ctx.ctrl, *this);
  register_neigh_handlers(ctx.ctrl, *this);
  register_stats_handlers(ctx.ctrl, *this);
}

InetControl::~InetControl() = default;

std::string InetControl::dev_name(Ifindex ifindex) const {
  const auto n = inet_.netif().name(ifindex);
  return n ? *n : "if" + std::to_string(ifindex);
}

Ifindex InetControl::find_dev(const std::string& name) const { return inet_.netif().find(name); }

bool InetControl::carries_ip(Ifindex ifindex) const { return inet_.netif().carries_ip(ifindex); }

// ---- devices ----

void InetControl::sync_devices() {
  MasterTables::Out out;
  for (Ifindex i = 1; i < kMaxIfindex; ++i) {
    const auto name = inet_.netif().name(i);
    if (!name || !inet_.netif().carries_ip(i)) {
      if (tables_.device(i) != nullptr) {
        neigh_.remove_ifindex(i);
        tables_.remove_device(i, out);
      }
      continue;
    }
    const auto mac = inet_.netif().mac(i);
    if (!mac) continue;
    tables_.set_device(i, mac->bytes, inet_.netif().mtu(i), out);
  }
  repl_.push_all(out);
}

void InetControl::remove_device(Ifindex ifindex) {
  MasterTables::Out out;
  neigh_.remove_ifindex(ifindex);
  tables_.remove_device(ifindex, out);
  repl_.push_all(out);
  FLOG(g_log, INFO, "device %u removed: its addresses, routes and neighbours are gone", ifindex);
}

uint32_t InetControl::devices_job(void* self) {
  static_cast<InetControl*>(self)->sync_devices();
  return 0;  // bookkeeping: an idle master must not look busy
}

uint32_t InetControl::sync_job(void* self) {
  auto* c = static_cast<InetControl*>(self);
  c->inet_.mark_running();
  return c->repl_.drain();
}

// ---- static config ----

void InetControl::apply_static(const InetConfig& cfg) {
  const auto fail = [](const char* key, size_t i, const std::string& why) {
    throw std::runtime_error("inet." + std::string(key) + "[" + std::to_string(i) + "]: " + why);
  };
  for (size_t i = 0; i < cfg.addresses.size(); ++i) {
    const auto& a = cfg.addresses[i];
    const Ifindex dev = find_dev(a.dev);
    if (dev == 0) fail("addresses", i, "cannot find device \"" + a.dev + "\"");
    if (!carries_ip(dev)) fail("addresses", i, "device \"" + a.dev + "\" " + kNoIpHere);
    MasterTables::Out out;
    std::string err;
    if (tables_.add_addr(a.addr, a.plen, dev, a.flags, err, out) != 0) fail("addresses", i, err);
    repl_.push_all(out);
    announce_later_.emplace_back(dev, a.addr);
  }
  for (size_t i = 0; i < cfg.routes.size(); ++i) {
    const auto& r = cfg.routes[i];
    Ifindex dev = 0;
    if (!r.dev.empty() && (dev = find_dev(r.dev)) == 0) fail("routes", i, "cannot find device \"" + r.dev + "\"");
    MasterTables::Out out;
    std::string err;
    const std::optional<Addr> gw = r.has_gateway ? std::optional<Addr>(r.gateway) : std::nullopt;
    if (tables_.add_route(r.prefix, gw, dev, false, err, out) != 0) fail("routes", i, err);
    repl_.push_all(out);
  }
  for (size_t i = 0; i < cfg.neighbours.size(); ++i) {
    const auto& n = cfg.neighbours[i];
    const Ifindex dev = find_dev(n.dev);
    if (dev == 0) fail("neighbours", i, "cannot find device \"" + n.dev + "\"");
    std::string err;
    if (neigh_.add_static(NeighKey::of(dev, n.addr), n.mac, err) != 0) fail("neighbours", i, err);
  }
  for (Family f : {Family::v4, Family::v6}) {
    if (!cfg.of(f).forwarding) continue;
    MasterTables::Out out;
    tables_.set_forwarding(f, true, out);
    repl_.push_all(out);
  }
}

// ---- announcements ----

void InetControl::announce(Ifindex ifindex, const Addr& a) {
  FamilyOps* ops = inet_.family(a.family);
  if (ops == nullptr) return;
  ops->announce(ifindex, a);
  master_lc_->ctr(a.family).add(Ctr::nd_announces_sent);
}

uint32_t InetControl::announce_job(void* self) {
  auto* c = static_cast<InetControl*>(self);
  if (c->announce_later_.empty()) return 0;
  for (const auto& [ifindex, a] : c->announce_later_) c->announce(ifindex, a);
  const auto n = static_cast<uint32_t>(c->announce_later_.size());
  c->announce_later_.clear();
  return n;
}

// ---- neighbours: the NeighEnv side ----

std::optional<Addr> InetControl::source_for(const NeighKey& key) const {
  // An address of ours on that device and on the target's network, else the device's source address.
  const Addr target = key.address();
  std::optional<Addr> fallback;
  for (const auto& a : tables_.addresses()) {
    if (a.ifindex != key.ifindex || a.addr.family != key.family) continue;
    if (Prefix{mask(a.addr, a.plen), a.plen}.contains(target)) return a.addr;
  }
  if (const DeviceRecord* d = tables_.device(key.ifindex)) fallback = d->src[family_index(key.family)];
  return fallback;
}

void InetControl::solicit(const NeighKey& key, const Mac* unicast) {
  FamilyOps* ops = inet_.family(key.family);
  if (ops == nullptr) return;
  const auto src = source_for(key);
  ops->solicit(key, src ? &*src : nullptr, unicast);
  master_lc_->ctr(key.family).add(Ctr::nd_solicits_sent);
}

uint32_t InetControl::last_used(uint32_t slot) {
  const uint32_t now = neigh_.now();
  uint32_t newest = 0;
  for (LcoreInet* lc : inet_.lcores()) {
    if (lc->worker < 0 || !lc->neigh_used) continue;
    const uint32_t t = lc->neigh_used[slot].load(std::memory_order_relaxed);
    // Ticks wrap: the newest is the one closest behind now.
    if (t != 0 && (newest == 0 || static_cast<int32_t>(t - newest) > 0) && static_cast<int32_t>(now - t) >= -1) {
      newest = t;
    }
  }
  return newest;
}

void InetControl::failed(const NeighKey& key) {
  master_lc_->ctr(key.family).add(Ctr::nd_failed);
  FLOG(g_log, DEBUG, "neighbour %s on %s did not answer", key.address().to_string().c_str(),
       dev_name(key.ifindex).c_str());
}

int InetControl::send_resolve(const NeighKey& key) { return resolve_msg_->send(runtime_.master(), key); }

int InetControl::send_learnt(const LearntMsg& m) { return learnt_msg_->send(runtime_.master(), m); }

int InetControl::on_resolve(InetControl* self, const NeighKey& key, core::NoReply&) {
  if (!self->neigh_.resolve(key)) {
    FLOG_RL(self->master_lc_->log_limit, g_log, WARNING, "neighbour table full (inet.max_neighbours): cannot resolve %s",
            key.address().to_string().c_str());
    return ENOSPC;
  }
  return 0;
}

int InetControl::on_learnt(InetControl* self, const LearntMsg& m, core::NoReply&) {
  self->neigh_.learnt(m.key, m.has_mac ? &m.mac : nullptr, m.confirmed != 0, m.update_only != 0);
  return 0;
}

// ---- operations ----

int InetControl::commit(const MasterTables::Out& out, std::string& err) {
  if (out.empty()) return 0;
  const uint64_t seq = repl_.push_all(out);
  return repl_.wait(seq, kWorkerWait, &err);
}

int InetControl::add_addr(const Addr& a, uint8_t plen, Ifindex ifindex, uint32_t flags, std::string& err) {
  MasterTables::Out out;
  if (const int rc = tables_.add_addr(a, plen, ifindex, flags, err, out)) return rc;
  const int rc = commit(out, err);
  // Tell the network (and its switches) where the address lives now, even if a worker is late.
  announce(ifindex, a);
  FLOG(g_log, INFO, "address %s/%u added to %s", a.to_string().c_str(), plen, dev_name(ifindex).c_str());
  return rc;
}

int InetControl::del_addr(const Addr& a, uint8_t plen, Ifindex ifindex, std::string& err) {
  MasterTables::Out out;
  if (const int rc = tables_.del_addr(a, plen, ifindex, err, out)) return rc;
  FLOG(g_log, INFO, "address %s deleted from %s", a.to_string().c_str(), dev_name(ifindex).c_str());
  return commit(out, err);
}

int InetControl::add_route(const Prefix& p, const std::optional<Addr>& gw, Ifindex ifindex, bool replace,
                           std::string& err) {
  MasterTables::Out out;
  if (const int rc = tables_.add_route(p, gw, ifindex, replace, err, out)) return rc;
  return commit(out, err);
}

int InetControl::del_route(const Prefix& p, std::string& err) {
  MasterTables::Out out;
  if (const int rc = tables_.del_route(p, err, out)) return rc;
  return commit(out, err);
}

int InetControl::add_neigh(const NeighKey& key, const Mac& mac, std::string& err) {
  if (tables_.device(key.ifindex) == nullptr) {
    err = "cannot find device \"" + dev_name(key.ifindex) + "\"";
    return ENODEV;
  }
  const Addr a = key.address();
  if (a.is_unspecified() || a.is_multicast() || a.is_limited_broadcast()) {
    err = "neighbour " + a.to_string() + " is not a unicast address";
    return EINVAL;
  }
  const uint64_t before = repl_.last_seq();
  if (const int rc = neigh_.add_static(key, mac, err)) return rc;
  return repl_.last_seq() == before ? 0 : repl_.wait(repl_.last_seq(), kWorkerWait, &err);
}

int InetControl::del_neigh(const NeighKey& key, std::string& err) {
  const uint64_t before = repl_.last_seq();
  if (const int rc = neigh_.remove(key, err)) return rc;
  return repl_.last_seq() == before ? 0 : repl_.wait(repl_.last_seq(), kWorkerWait, &err);
}

int InetControl::flush_neigh(std::optional<Family> f, Ifindex ifindex, std::string& err) {
  const uint64_t before = repl_.last_seq();
  neigh_.flush(f, ifindex);
  return repl_.last_seq() == before ? 0 : repl_.wait(repl_.last_seq(), kWorkerWait, &err);
}

int InetControl::set_forwarding(Family f, bool on, std::string& err) {
  MasterTables::Out out;
  tables_.set_forwarding(f, on, out);
  FLOG(g_log, INFO, "%s forwarding %s", family_name(f), on ? "on" : "off");
  return commit(out, err);
}

// ---- route get and ping: the workers answer ----

int InetControl::on_route_get(InetControl* self, const msg::RouteGetQuery& q, msg::RouteGetResult& out) {
  LcoreInet* lc = self->inet_.lcore();
  if (lc == nullptr || !lc->tables) return EINVAL;
  const auto f = family_from_wire(q.family);
  if (!f) return EINVAL;
  const Addr a = Addr::from_bytes(*f, q.addr);
  const LcoreTables& t = *lc->tables;
  out = msg::RouteGetResult{};
  out.lcore = lc->lcore;
  if (const AddrEntry* e = t.find_addr(a)) {
    out.kind = static_cast<uint8_t>(msg::RouteGetKind::local);
    out.ifindex = e->ifindex;
    out.addr_flags = e->flags;
    return 0;
  }
  const uint32_t slot = t.route(a);
  if (slot == 0) {
    out.kind = static_cast<uint8_t>(msg::RouteGetKind::unreachable);
    return 0;
  }
  const NextHop& nh = t.nexthop(slot);
  out.kind = static_cast<uint8_t>(msg::RouteGetKind::unicast);
  out.ifindex = nh.ifindex;
  out.has_gateway = nh.has_gateway();
  std::memcpy(out.gateway, nh.gateway.data(), sizeof out.gateway);
  const IfView& v = t.ifv(nh.ifindex);
  out.mtu = v.mtu;
  if (v.has_src[family_index(*f)]) {
    out.has_prefsrc = 1;
    std::memcpy(out.prefsrc, v.src[family_index(*f)].data(), sizeof out.prefsrc);
  }
  return 0;
}

int InetControl::route_get(const Addr& a, std::vector<msg::RouteGetResult>& out, std::string& err) {
  msg::RouteGetQuery q{};
  q.family = static_cast<uint8_t>(a.family);
  std::memcpy(q.addr, a.data(), sizeof q.addr);
  const core::CallResult r = route_get_msg_->call_workers(q, kWorkerWait);
  for (const auto& rep : r.replies) {
    if (rep.status != 0 || rep.bytes.size() != sizeof(msg::RouteGetResult)) continue;
    msg::RouteGetResult res;
    std::memcpy(&res, rep.bytes.data(), sizeof res);
    out.push_back(res);
  }
  if (!r.ok()) {
    err = r.error;
    return r.status;
  }
  return 0;
}

int InetControl::on_ping(InetControl* self, const PingOrder& order, core::NoReply&) {
  LcoreInet* lc = self->inet_.lcore();
  FamilyOps* ops = self->inet_.family(order.family);
  if (lc == nullptr || ops == nullptr) return EINVAL;
  ops->ping(*lc, order);
  return 0;
}

int InetControl::ping(const PingOrder& order, std::string& err) {
  if (inet_.family(order.family) == nullptr) {
    err = std::string(family_name(order.family)) + " is not running";
    return EAFNOSUPPORT;
  }
  const auto& workers = runtime_.workers();
  const unsigned lcore = workers[next_ping_worker_++ % workers.size()];
  const int rc = ping_msg_->send(lcore, order);
  if (rc != 0) err = "worker lcore " + std::to_string(lcore) + " did not take the ping: " + std::strerror(rc);
  return rc;
}

}  // namespace fulcrum::inet
