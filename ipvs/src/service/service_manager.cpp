// The master's API over the services, and how a change reaches every worker (see service_manager.hpp).

#include "fulcrum/ipvs/service_manager.hpp"

#include <rte_lcore.h>
#include <rte_random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "../ipvs_log.hpp"
#include "rate_estimator.hpp"
#include "service_table.hpp"

namespace fulcrum::ipvs {

ServiceManager::ServiceManager(core::MessageBus* bus, unsigned n_workers, ServiceManagerOptions options)
    : bus_(bus), options_(options), table_(std::make_unique<ServiceTable>(options.max_services)) {
  if (options_.max_services == 0) throw std::invalid_argument("ipvs: max_services must be at least 1");
  if (bus_ != nullptr) {
    n_workers = static_cast<unsigned>(bus_->workers().size());
    unsigned top = bus_->master();
    for (unsigned w : bus_->workers()) top = std::max(top, w);
    index_by_lcore_.assign(top + 1, -1);
    for (unsigned i = 0; i < n_workers; ++i) index_by_lcore_[bus_->workers()[i]] = static_cast<int>(i);
    install_msg_ = core::MsgType<InstallMsg, InstallReply>::define<ServiceManager, &ServiceManager::on_install>(
        *bus_, kMsgServiceInstall, "ipvs.svc_install", this);
    zero_msg_ = core::MsgType<ZeroMsg>::define<ServiceManager, &ServiceManager::on_zero>(*bus_, kMsgServiceZero,
                                                                                        "ipvs.svc_zero", this);
    laddr_msg_ = core::MsgType<LaddrMsg>::define<ServiceManager, &ServiceManager::on_laddr>(
        *bus_, kMsgLaddrInstall, "ipvs.laddr_install", this);
  }
  for (unsigned i = 0; i < n_workers; ++i) {
    tables_.push_back(std::make_unique<WorkerServices>(options_.max_services));
    current_.emplace_back(options_.max_services, nullptr);
    pools_.push_back(std::make_unique<LocalPortPool>(i, n_workers, options_.laddr_port_min, options_.laddr_port_max));
    laddr_entries_.emplace_back();
  }
}

ServiceManager::~ServiceManager() {
  // The lcores have stopped: what the master last gave each worker is no longer read by anyone.
  for (auto& per_worker : current_) {
    for (WorkerService* s : per_worker) delete s;
  }
}

int ServiceManager::calling_worker() const {
  const unsigned lcore = rte_lcore_id();
  return lcore < index_by_lcore_.size() ? index_by_lcore_[lcore] : -1;
}

// On a worker: swap in its copy. No allocation, nothing that can fail but a bad slot.
int ServiceManager::on_install(ServiceManager* self, const InstallMsg& msg, InstallReply& reply) {
  const int w = self->calling_worker();
  if (w < 0 || msg.batch == nullptr || static_cast<size_t>(w) >= msg.batch->next.size()) return EINVAL;
  WorkerService* old = nullptr;
  if (!self->tables_[w]->install(msg.slot, msg.batch->next[w], &old)) return EINVAL;
  reply.old = old;
  return 0;
}

int ServiceManager::on_zero(ServiceManager* self, const ZeroMsg& msg, core::NoReply&) {
  const int w = self->calling_worker();
  if (w < 0) return EINVAL;
  if (msg.all != 0) {
    self->tables_[w]->zero_all();
  } else {
    self->tables_[w]->zero(msg.slot);
  }
  return 0;
}

int ServiceManager::on_laddr(ServiceManager* self, const LaddrMsg& msg, core::NoReply&) {
  const int w = self->calling_worker();
  if (w < 0 || msg.entries == nullptr || static_cast<size_t>(w) >= msg.entries->size()) return EINVAL;
  return self->pools_[w]->install(static_cast<uint16_t>(msg.id), (*msg.entries)[w]) ? 0 : EEXIST;
}

Status ServiceManager::push_laddr(uint16_t id) {
  const ServiceTable::Laddr& l = table_->laddrs()[id];
  LocalAddress a;
  a.family = static_cast<uint8_t>(l.family);
  std::memcpy(a.addr, l.addr.bytes.data(), sizeof a.addr);
  auto batch = std::make_unique<std::vector<LocalPortPool::Entry*>>();
  const size_t start = options_.laddr_random_start ? static_cast<size_t>(rte_rand()) : 0;
  for (unsigned w = 0; w < workers(); ++w) {
    laddr_entries_[w].push_back(pools_[w]->prepare(a, start));
    batch->push_back(laddr_entries_[w].back().get());
  }
  if (!live_) {
    for (unsigned w = 0; w < workers(); ++w) pools_[w]->install(id, (*batch)[w]);
    return {};
  }
  const core::CallResult r = laddr_msg_->call_workers(LaddrMsg{id, 0, batch.get()}, options_.call_timeout);
  laddr_batches_.push_back(std::move(batch));  // a worker that timed out reads it later
  if (!r.ok()) {
    FLOG(g_log, ERR, "local address %s: %s", a.to_string().c_str(), r.error.c_str());
    return Status::fail(r.status, "local address " + a.to_string() + " is not on every worker: " + r.error);
  }
  return {};
}

Status ServiceManager::push(uint32_t slot) {
  const unsigned n = workers();
  std::vector<WorkerService*> next(n, nullptr);
  try {
    for (unsigned w = 0; w < n; ++w) next[w] = table_->build_worker_copy(slot, w).release();
  } catch (const std::exception& e) {
    for (WorkerService* s : next) delete s;
    FLOG(g_log, ERR, "slot %u: no copy for the workers: %s", slot, e.what());
    return Status::fail(ENOMEM, std::string("the workers' copies could not be built: ") + e.what());
  }

  if (!live_) {
    for (unsigned w = 0; w < n; ++w) {
      WorkerService* old = nullptr;
      tables_[w]->install(slot, next[w], &old);
      delete old;
      current_[w][slot] = next[w];
    }
    return {};
  }

  auto* batch = new InstallBatch{next};
  const core::CallResult r = install_msg_->call_workers(InstallMsg{slot, 0, batch}, options_.call_timeout);
  bool late = false;
  for (unsigned w = 0; w < n; ++w) {
    const core::MsgReply& rep = r.replies[w];
    if (rep.status == 0) {
      InstallReply out{};
      std::memcpy(&out, rep.bytes.data(), sizeof out);
      delete out.old;  // the worker no longer reads it
      current_[w][slot] = next[w];
    } else if (rep.status == ETIMEDOUT) {
      // The message is still in that worker's inbox: it will install next[w] and read the batch later, and
      // may still read its old copy until then. Neither is freed before the lcores stop: memory held too long
      // rather than freed while in use.
      late = true;
      if (current_[w][slot] != nullptr) parked_copies_.emplace_back(current_[w][slot]);
      current_[w][slot] = next[w];
    } else {
      delete next[w];  // never reached the worker, which keeps its old copy
    }
  }
  if (late) {
    parked_batches_.emplace_back(batch);
    FLOG(g_log, WARNING, "slot %u: %s; what it may still read is kept until the lcores stop (%zu copies so far)",
         slot, r.error.c_str(), parked_copies_.size());
  } else {
    delete batch;
  }
  if (!r.ok()) {
    FLOG(g_log, ERR, "slot %u: %s", slot, r.error.c_str());
    return Status::fail(r.status, "the change is in the master's table but not on every worker: " + r.error);
  }
  return {};
}

Status ServiceManager::push_zero(uint32_t slot, bool all) {
  if (!live_) {
    for (auto& t : tables_) all ? t->zero_all() : t->zero(slot);
    return {};
  }
  const core::CallResult r = zero_msg_->call_workers(ZeroMsg{slot, all ? 1u : 0u}, options_.call_timeout);
  if (!r.ok()) return Status::fail(r.status, "counters not zeroed on every worker: " + r.error);
  return {};
}

Status ServiceManager::add_service(const ServiceSpec& requested, BindingUse use) {
  ServiceSpec spec = requested;
  const VipBinding* b = use == BindingUse::apply && spec.forward == ForwardMethod::masq
                            ? bindings_.find(spec.key.family, spec.key.addr)
                            : nullptr;
  if (b != nullptr) {
    spec.forward = b->forward;
    spec.toa = b->toa;
  }
  uint32_t slot = 0;
  if (Status st = table_->add_service(spec, &slot); !st.ok()) return st;
  if (b != nullptr) {
    // The group goes in before the workers see the service, so that no connection of it ever leaves
    // without a local address. A refusal takes the service back out (no worker has seen it yet); an address
    // that got its id meanwhile still gets its pool entry, since the id stays the address's for good.
    std::vector<uint16_t> fresh_ids;
    Status refused;
    for (const IpAddr& a : b->laddrs) {
      uint16_t id = 0;
      bool fresh = false;
      if (Status st = table_->add_laddr(spec.key, a, &slot, &id, &fresh); !st.ok()) {
        refused = Status::fail(st.err, binding_name(*b) + ": " + st.msg);
        break;
      }
      if (fresh) fresh_ids.push_back(id);
    }
    Status pushed;
    for (uint16_t id : fresh_ids) {
      if (Status st = push_laddr(id); !st.ok() && pushed.ok()) pushed = st;
    }
    if (!refused.ok()) {
      uint32_t gone = 0;
      (void)table_->del_service(spec.key, &gone);
      return refused;
    }
    if (!pushed.ok()) return pushed;
  }
  return push(slot);
}

Status ServiceManager::edit_service(const ServiceSpec& spec) {
  uint32_t slot = 0;
  if (Status st = table_->edit_service(spec, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::del_service(const ServiceKey& key) {
  uint32_t slot = 0;
  if (Status st = table_->del_service(key, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::add_dest(const ServiceKey& key, const DestSpec& dest) {
  uint32_t slot = 0;
  if (Status st = table_->add_dest(key, dest, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::edit_dest(const ServiceKey& key, const DestSpec& dest) {
  uint32_t slot = 0;
  if (Status st = table_->edit_dest(key, dest, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::del_dest(const ServiceKey& key, const DestId& dest) {
  uint32_t slot = 0;
  if (Status st = table_->del_dest(key, dest, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::flush() {
  Status first;
  const std::vector<uint32_t> order = table_->order();
  for (uint32_t slot : order) {
    uint32_t removed = 0;
    (void)table_->del_service(table_->at(slot)->spec.key, &removed);
    if (Status st = push(removed); !st.ok() && first.ok()) first = st;
  }
  return first;
}

Status ServiceManager::add_laddr(const ServiceKey& key, const IpAddr& addr) {
  uint32_t slot = 0;
  uint16_t id = 0;
  bool fresh = false;
  if (Status st = table_->add_laddr(key, addr, &slot, &id, &fresh); !st.ok()) return st;
  if (fresh) {
    if (Status st = push_laddr(id); !st.ok()) return st;
  }
  return push(slot);
}

Status ServiceManager::add_snat_rule(const SnatRule& rule) {
  const std::string who = "snat rule " + to_string(rule);
  if (live_) return Status::fail(EBUSY, who + ": SNAT rules are set in the config only");
  if (snat_.size() >= kMaxSnatRules) {
    return Status::fail(ENOSPC, who + ": at most " + std::to_string(kMaxSnatRules) + " rules");
  }
  if (std::string why = check_snat_rule(rule); !why.empty()) return Status::fail(EINVAL, who + ": " + why);
  std::vector<uint16_t> ids;
  for (const IpAddr& a : rule.laddrs) {
    uint16_t id = 0;
    bool fresh = false;
    if (Status st = table_->intern_laddr(rule.family, a, who + ": local address " + to_string(rule.family, a), &id,
                                         &fresh);
        !st.ok()) {
      return st;
    }
    if (fresh) {
      if (Status st = push_laddr(id); !st.ok()) return st;
    }
    ids.push_back(id);
  }
  snat_.add(rule, ids);
  return {};
}

Status ServiceManager::del_laddr(const ServiceKey& key, const IpAddr& addr) {
  uint32_t slot = 0;
  if (Status st = table_->del_laddr(key, addr, &slot); !st.ok()) return st;
  return push(slot);
}

Status ServiceManager::list_laddrs(const ServiceKey& key, std::vector<IpAddr>* out) const {
  uint32_t slot = 0;
  if (Status st = table_->lookup(key, &slot); !st.ok()) return st;
  out->clear();
  for (uint16_t id : table_->at(slot)->laddr_ids) out->push_back(table_->laddrs()[id].addr);
  return {};
}

std::vector<LaddrInfo> ServiceManager::all_laddrs() const {
  std::vector<LaddrInfo> out;
  const auto& all = table_->laddrs();
  for (size_t i = 0; i < all.size(); ++i) {
    out.push_back(LaddrInfo{static_cast<uint16_t>(i), all[i].family, all[i].addr, all[i].services});
  }
  return out;
}

Status ServiceManager::zero(const ServiceKey& key) {
  uint32_t slot = 0;
  if (Status st = table_->lookup(key, &slot); !st.ok()) return st;
  Status st = push_zero(slot, false);
  reset_rates(slot);
  return st;
}

Status ServiceManager::zero_all() {
  Status st = push_zero(0, true);
  for (uint32_t slot : table_->order()) reset_rates(slot);
  return st;
}

Stats ServiceManager::sum_service(uint32_t slot) const {
  Stats s;
  for (const auto& per_worker : current_) {
    if (const WorkerService* c = per_worker[slot]) s += c->stats.snapshot();
  }
  return s;
}

std::vector<ServiceInfo> ServiceManager::list_services() const {
  std::vector<ServiceInfo> out;
  for (uint32_t slot : table_->order()) {
    const MasterService* m = table_->at(slot);
    out.push_back(ServiceInfo{m->spec, static_cast<uint32_t>(m->dests.size()), sum_service(slot)});
  }
  return out;
}

Status ServiceManager::get_service(const ServiceKey& key, ServiceInfo* out) const {
  uint32_t slot = 0;
  if (Status st = table_->lookup(key, &slot); !st.ok()) return st;
  const MasterService* m = table_->at(slot);
  *out = ServiceInfo{m->spec, static_cast<uint32_t>(m->dests.size()), sum_service(slot)};
  return {};
}

Status ServiceManager::list_dests(const ServiceKey& key, std::vector<DestInfo>* out) const {
  uint32_t slot = 0;
  if (Status st = table_->lookup(key, &slot); !st.ok()) return st;
  const MasterService* m = table_->at(slot);
  out->clear();
  for (const DestSpec& d : m->dests) out->push_back(DestInfo{d, 0, 0, {}});
  // A worker's copy lists the same dests in the same order, unless it missed the last change: then match by
  // identity. The connection counters are plain words the worker writes as it goes: a snapshot, not a
  // synchronised read, as the kernel's ipvsadm -L is.
  for (const auto& per_worker : current_) {
    const WorkerService* c = per_worker[slot];
    if (c == nullptr) continue;
    for (size_t i = 0; i < c->dests.size(); ++i) {
      size_t j = i;
      if (j >= out->size() || !((*out)[j].spec.id == c->dests[i].id)) {
        j = 0;
        while (j < out->size() && !((*out)[j].spec.id == c->dests[i].id)) ++j;
        if (j == out->size()) continue;
      }
      DestInfo& info = (*out)[j];
      info.activeconns += c->dests[i].activeconns;
      info.inactconns += c->dests[i].inactconns;
      info.stats += c->extra[i].stats.snapshot();
    }
  }
  return {};
}

}  // namespace fulcrum::ipvs
