#pragma once
// The in-process control API for services and real servers, which the config (at start), the sockopt bridge
// and the control socket (later) call on the master, and the workers' view of the result.
//
// The master owns the authoritative tables (ServiceTable). A change is validated there, with the kernel's
// errno values, then every worker gets a new copy of the changed service, built on the master, before the
// call returns:
//
//   1. The master builds one WorkerService per worker (its own dests array, its own scheduler: a clone of
//      the master's prototype, bound to that array) - all allocation happens here.
//   2. One synchronous call_workers carries the slot and a pointer to the batch of copies. Each worker swaps
//      its copy into its table (WorkerServices::install: no allocation; counters carried over) and replies
//      with the pointer of the copy it dropped.
//   3. The master frees the dropped copies: the call returning proves no worker still reads them (RCU by a
//      synchronous call).
//
// A worker that does not answer in time (ETIMEDOUT) still has the message in its inbox and will install the
// new copy and read the batch later: the master then frees neither the batch nor the copy that worker may
// still be using, but parks them until the lcores have stopped (counted in parked(), logged). A message that never reached a worker (inbox
// full, pool empty) is freed and that worker keeps its old copy until the next change to the service, which
// is absolute and so brings it back in step. Either way the call returns the bus's error; the master's table
// keeps the change.
//
// Before the lcores run (the config, applied in init) and without a bus (unit tests), changes are installed
// in the workers' tables directly.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/ipvs/local_port_pool.hpp"
#include "fulcrum/ipvs/rates.hpp"
#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/snat_rule.hpp"
#include "fulcrum/ipvs/vip_binding.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {

class ServiceTable;
class RateTable;

// Bus message ids of the ipvs layer: 180-199.
inline constexpr uint16_t kMsgServiceInstall = 180;
inline constexpr uint16_t kMsgServiceZero = 181;
inline constexpr uint16_t kMsgLaddrInstall = 182;

struct ServiceManagerOptions {
  uint32_t max_services = 4096;
  std::chrono::microseconds call_timeout{500'000};
  // FullNAT local ports (host order); each worker owns those that are its index modulo the worker count.
  uint16_t laddr_port_min = 1025;
  uint16_t laddr_port_max = 65535;
  // Each local address's first port at random (the daemon), rather than the lowest (tests): see
  // LocalPortPool::prepare.
  bool laddr_random_start = false;
};

// A local address as the master knows it: its id in every worker's LocalPortPool.
struct LaddrInfo {
  uint16_t id = 0;
  Family family = Family::v4;
  IpAddr addr;
  uint32_t services = 0;  // groups that hold it
};

class ServiceManager {
 public:
  // With a bus: declares the ipvs message types on it (before the lcores start) and serves bus->workers().
  // Without one: `n_workers` tables that only direct installs reach.
  ServiceManager(core::MessageBus* bus, unsigned n_workers, ServiceManagerOptions options = {});
  ~ServiceManager();  // after every lcore stopped
  ServiceManager(const ServiceManager&) = delete;
  ServiceManager& operator=(const ServiceManager&) = delete;

  // From now on changes go over the bus (the lcores run). Before, they are installed directly.
  void go_live() { live_ = bus_ != nullptr; }
  bool live() const { return live_; }

  // --- master: the kernel's operations (ipvsadm -A -E -D -a -e -d -C -Z) ---
  // A service whose `forward` is masq (what SET_ADD, and Fulcrum's ipvsadm without a method, ask for) on a
  // VIP that has a binding takes the binding: its forward, its TOA setting and its local-address group (see
  // vip_binding.hpp). `use` ignore: the caller resolved the binding itself (the config does, key by key).
  enum class BindingUse { apply, ignore };
  Status add_service(const ServiceSpec& spec, BindingUse use = BindingUse::apply);
  Status edit_service(const ServiceSpec& spec);
  Status del_service(const ServiceKey& key);
  Status add_dest(const ServiceKey& key, const DestSpec& dest);
  Status edit_dest(const ServiceKey& key, const DestSpec& dest);
  Status del_dest(const ServiceKey& key, const DestId& dest);
  Status flush();
  Status zero(const ServiceKey& key);
  Status zero_all();

  // --- master: FullNAT local-address groups (DPVS's ipvsadm -P/--add-laddr, -Q/--del-laddr, -G/--get-laddr) ---
  // A FullNAT connection leaves for its real server from one of its service's local addresses, on a local port
  // that names the worker owning it. `addr` is of the service's family and should be a balancer address that
  // carries the fnat-local flag (dpip addr add ... fnat-local), so that the real server's replies reach it.
  // ESRCH no such service; EEXIST already in the group; ENOENT (del) not in the group; EAFNOSUPPORT family
  // differs from the service's; EINVAL not a unicast address; ENOSPC more than kMaxLaddrsPerService, or more
  // than kMaxLaddrs distinct addresses over all services.
  Status add_laddr(const ServiceKey& key, const IpAddr& addr);
  Status del_laddr(const ServiceKey& key, const IpAddr& addr);
  // In the order they were added.
  Status list_laddrs(const ServiceKey& key, std::vector<IpAddr>* out) const;
  // Every address any group ever held, by id.
  std::vector<LaddrInfo> all_laddrs() const;

  // --- master: per-VIP bindings (vip_binding.hpp); services that exist keep what they took ---
  Status set_vip_binding(const VipBinding& b) { return bindings_.set(b); }
  Status del_vip_binding(Family f, const IpAddr& vip) { return bindings_.remove(f, vip); }
  const std::vector<VipBinding>& vip_bindings() const { return bindings_.all(); }

  // --- master: SNAT rules (snat_rule.hpp), from the config only ---
  // Before go_live only (EBUSY after: the workers read the table without copies). EINVAL with check_snat_rule's
  // message, or an address that is not unicast or not of the rule's family; ENOSPC past kMaxSnatRules or
  // kMaxLaddrs. The pool's addresses take local-address ids like a FullNAT group's and should carry the
  // fnat-local flag, so that the outside hosts' replies reach them.
  Status add_snat_rule(const SnatRule& rule);
  // Workers: read-only once the lcores run.
  const SnatRules& snat_rules() const { return snat_; }

  // --- master: reading ---
  // In the order the services were added (the kernel lists them in hash order; ipvsadm sorts them anyway).
  std::vector<ServiceInfo> list_services() const;
  Status get_service(const ServiceKey& key, ServiceInfo* out) const;
  // In the order they were added (the kernel lists the newest first; ipvsadm sorts them anyway).
  Status list_dests(const ServiceKey& key, std::vector<DestInfo>* out) const;

  // --- master: rates, the kernel's estimator (ip_vs_est.c; service_rates.cpp) ---
  // One sample of every service's and real server's summed counters: a master job calls it every
  // kRateIntervalUs. zero() and zero_all() start the estimates over, as the kernel's -Z does.
  void estimate_rates();
  // Zero before the first sample, and for an unknown service.
  Rates service_rates(const ServiceKey& key) const;
  // The rates of `dests` (as list_dests gave them), in the same order. ESRCH.
  Status dest_rates(const ServiceKey& key, const std::vector<DestInfo>& dests, std::vector<Rates>* out) const;

  // --- workers ---
  // Worker `worker_index`'s own table (its index in the runtime's list of workers). The packet path reads
  // it on that worker only; tests read it from the master after a call returned.
  WorkerServices& worker_table(unsigned worker_index) { return *tables_[worker_index]; }
  // Worker `worker_index`'s FullNAT local ports, on that worker only (the master reads only counts).
  LocalPortPool& laddr_pool(unsigned worker_index) { return *pools_[worker_index]; }
  unsigned workers() const { return static_cast<unsigned>(tables_.size()); }

  // Copies a worker that timed out may still read: held, never freed, until this object goes (after the
  // lcores stopped), so that nothing is used after it is freed.
  size_t parked() const { return parked_copies_.size(); }

 private:
  // The master's copies for one change, by worker index (nullptr: the slot empties). Lives on the master
  // until every worker has replied, or for ever if one timed out.
  struct InstallBatch {
    std::vector<WorkerService*> next;
  };
  struct InstallMsg {
    uint32_t slot;
    uint32_t reserved;
    const InstallBatch* batch;
  };
  struct InstallReply {
    WorkerService* old;  // what the worker dropped, for the master to free
  };
  struct ZeroMsg {
    uint32_t slot;
    uint32_t all;
  };
  // Entries stay the master's (laddr_entries_); the worker only stores the pointer to its own.
  struct LaddrMsg {
    uint32_t id;
    uint32_t reserved;
    const std::vector<LocalPortPool::Entry*>* entries;  // by worker index
  };
  static int on_install(ServiceManager* self, const InstallMsg& msg, InstallReply& reply);
  static int on_zero(ServiceManager* self, const ZeroMsg& msg, core::NoReply& reply);
  static int on_laddr(ServiceManager* self, const LaddrMsg& msg, core::NoReply& reply);
  // Builds and installs a new local address's pool entry on every worker.
  Status push_laddr(uint16_t id);
  int calling_worker() const;
  // Installs the master's current state of `slot` (a copy of its service, or nothing) on every worker.
  Status push(uint32_t slot);
  Status push_zero(uint32_t slot, bool all);
  Stats sum_service(uint32_t slot) const;
  void reset_rates(uint32_t slot);

  core::MessageBus* bus_;
  ServiceManagerOptions options_;
  std::unique_ptr<ServiceTable> table_;
  std::vector<std::unique_ptr<WorkerServices>> tables_;  // by worker index; each read and written by its worker
  // What the master last gave each worker, by worker index then slot: what it sums counters from and frees.
  std::vector<std::vector<WorkerService*>> current_;
  std::vector<int> index_by_lcore_;  // lcore id -> worker index, -1
  std::optional<core::MsgType<InstallMsg, InstallReply>> install_msg_;
  std::optional<core::MsgType<ZeroMsg>> zero_msg_;
  std::optional<core::MsgType<LaddrMsg>> laddr_msg_;
  std::vector<std::unique_ptr<LocalPortPool>> pools_;  // by worker index
  // The pool entries, by worker index then id: the master's until it goes (after the lcores stopped).
  std::vector<std::vector<std::unique_ptr<LocalPortPool::Entry>>> laddr_entries_;
  std::vector<std::unique_ptr<std::vector<LocalPortPool::Entry*>>> laddr_batches_;  // kept: a late worker may still read one
  std::unique_ptr<RateTable> rates_;  // made by the first sample
  bool live_ = false;
  VipBindings bindings_;
  SnatRules snat_;
  std::vector<std::unique_ptr<WorkerService>> parked_copies_;
  std::vector<std::unique_ptr<InstallBatch>> parked_batches_;
};

}  // namespace fulcrum::ipvs
