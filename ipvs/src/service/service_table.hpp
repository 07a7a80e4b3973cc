#pragma once
// The master's authoritative services and real servers: validation with the kernel's errno values, slots,
// the order services are listed in, and a prototype scheduler per service from which each worker's copy is
// made. Pure C++ (no DPDK, no bus): ServiceManager replicates what changes here.

#include <cstdint>
#include <memory>
#include <vector>

#include "fulcrum/ipvs/scheduler.hpp"
#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {

struct MasterService {
  ServiceSpec spec;                  // netmask always set
  uint32_t slot = 0;
  uint32_t uid = 0;                  // never reused: connections tell a re-created service from theirs by it
  std::vector<DestSpec> dests;       // in the order they were added
  std::vector<uint32_t> dest_uids;   // the same order; never reused either
  std::vector<uint16_t> laddr_ids;   // the local-address group, in the order added (ids: ServiceTable::laddr)
  std::vector<Dest> sched_dests;     // the same, as the prototype scheduler sees them
  std::unique_ptr<Scheduler> sched;  // bound to sched_dests; null for "none"
  // After a change to the set: where each dest was before it (kNoDest when new), for the workers' copies.
  std::vector<DestIndex> prev_index;
};

inline constexpr size_t kMaxLaddrsPerService = 64;

class ServiceTable {
 public:
  explicit ServiceTable(uint32_t max_services);

  // Each returns 0 or an errno with a message; on error nothing changed. `slot` gets the service's slot.
  Status add_service(const ServiceSpec& spec, uint32_t* slot);
  Status edit_service(const ServiceSpec& spec, uint32_t* slot);
  Status del_service(const ServiceKey& key, uint32_t* slot);
  Status add_dest(const ServiceKey& key, const DestSpec& dest, uint32_t* slot);
  Status edit_dest(const ServiceKey& key, const DestSpec& dest, uint32_t* slot);
  Status del_dest(const ServiceKey& key, const DestId& dest, uint32_t* slot);
  // ESRCH (with the message) when there is no such service.
  Status lookup(const ServiceKey& key, uint32_t* slot) const;

  // FullNAT local-address groups (see ServiceManager::add_laddr for the refusals). An address has one id
  // for as long as the table lives, whichever services use it; `fresh` says the id is new, so the workers
  // need its pool entry before the service's copy names it.
  Status add_laddr(const ServiceKey& key, const IpAddr& addr, uint32_t* slot, uint16_t* id, bool* fresh);
  Status del_laddr(const ServiceKey& key, const IpAddr& addr, uint32_t* slot);
  // The id of `addr` as a local address held by one more user (a service's group or an SNAT rule's pool),
  // made if new (`fresh`). EINVAL not unicast; ENOSPC more than kMaxLaddrs in all. `who` starts the message.
  Status intern_laddr(Family f, const IpAddr& addr, const std::string& who, uint16_t* id, bool* fresh);
  struct Laddr {
    Family family = Family::v4;
    IpAddr addr;
    uint32_t services = 0;  // groups that hold it
  };
  const std::vector<Laddr>& laddrs() const { return laddrs_; }

  const MasterService* at(uint32_t slot) const;
  // Slots in the order the services were added (what GET_SERVICES lists).
  const std::vector<uint32_t>& order() const { return order_; }
  uint32_t capacity() const { return static_cast<uint32_t>(by_slot_.size()); }

  // Worker `worker_index`'s own copy of the service in `slot`: its own dests array, its own scheduler bound
  // to it (a clone of the prototype; twos gets a seed of its own). Control path: allocates, may throw.
  std::unique_ptr<WorkerService> build_worker_copy(uint32_t slot, unsigned worker_index) const;

 private:
  MasterService* find(const ServiceKey& key) const;
  Status check_service(const ServiceSpec& spec) const;
  Status check_dest(const MasterService& svc, const DestSpec& dest) const;
  // Rebuilds `svc`'s prototype over `dests` and commits them; on a refusal nothing changes.
  Status commit_dests(MasterService& svc, std::vector<DestSpec> dests, std::vector<DestIndex> prev);

  std::vector<std::unique_ptr<MasterService>> by_slot_;
  std::vector<uint32_t> order_;
  std::vector<Laddr> laddrs_;  // by id
  uint32_t next_uid_ = 1;
};

// The scheduler a spec asks for, not yet built (null for "none"). Throws std::invalid_argument.
std::unique_ptr<Scheduler> make_service_scheduler(const ServiceSpec& spec, uint64_t seed);

}  // namespace fulcrum::ipvs
