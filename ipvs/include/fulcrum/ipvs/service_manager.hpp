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
#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {

class ServiceTable;

// Bus message ids of the ipvs layer: 180-199.
inline constexpr uint16_t kMsgServiceInstall = 180;
inline constexpr uint16_t kMsgServiceZero = 181;

struct ServiceManagerOptions {
  uint32_t max_services = 4096;
  std::chrono::microseconds call_timeout{500'000};
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
  Status add_service(const ServiceSpec& spec);
  Status edit_service(const ServiceSpec& spec);
  Status del_service(const ServiceKey& key);
  Status add_dest(const ServiceKey& key, const DestSpec& dest);
  Status edit_dest(const ServiceKey& key, const DestSpec& dest);
  Status del_dest(const ServiceKey& key, const DestId& dest);
  Status flush();
  Status zero(const ServiceKey& key);
  Status zero_all();

  // --- master: reading ---
  // In the order the services were added (the kernel lists them in hash order; ipvsadm sorts them anyway).
  std::vector<ServiceInfo> list_services() const;
  Status get_service(const ServiceKey& key, ServiceInfo* out) const;
  // In the order they were added (the kernel lists the newest first; ipvsadm sorts them anyway).
  Status list_dests(const ServiceKey& key, std::vector<DestInfo>* out) const;

  // --- workers ---
  // Worker `worker_index`'s own table (its index in the runtime's list of workers). The packet path reads
  // it on that worker only; tests read it from the master after a call returned.
  WorkerServices& worker_table(unsigned worker_index) { return *tables_[worker_index]; }
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
  static int on_install(ServiceManager* self, const InstallMsg& msg, InstallReply& reply);
  static int on_zero(ServiceManager* self, const ZeroMsg& msg, core::NoReply& reply);
  int calling_worker() const;
  // Installs the master's current state of `slot` (a copy of its service, or nothing) on every worker.
  Status push(uint32_t slot);
  Status push_zero(uint32_t slot, bool all);
  Stats sum_service(uint32_t slot) const;

  core::MessageBus* bus_;
  ServiceManagerOptions options_;
  std::unique_ptr<ServiceTable> table_;
  std::vector<std::unique_ptr<WorkerServices>> tables_;  // by worker index; each read and written by its worker
  // What the master last gave each worker, by worker index then slot: what it sums counters from and frees.
  std::vector<std::vector<WorkerService*>> current_;
  std::vector<int> index_by_lcore_;  // lcore id -> worker index, -1
  std::optional<core::MsgType<InstallMsg, InstallReply>> install_msg_;
  std::optional<core::MsgType<ZeroMsg>> zero_msg_;
  bool live_ = false;
  std::vector<std::unique_ptr<WorkerService>> parked_copies_;
  std::vector<std::unique_ptr<InstallBatch>> parked_batches_;
};

}  // namespace fulcrum::ipvs
