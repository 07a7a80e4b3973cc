#pragma once
// One worker's copy of a service, and the worker's table of them: what the packet path will read.
//
// Each worker owns its copies outright: its own dest array (whose live counters its connections change), its
// own scheduler instance bound to that array, and its own traffic counters. The master builds a copy (that is
// where the allocation happens), and the worker only swaps it into its table: WorkerServices::install() does
// not allocate, so a change costs the worker a few pointer writes and a pass over the dests to carry their
// counters over. Nothing here is locked; the counters are atomics only so that the master may read them
// while the worker writes (one writer, relaxed loads and stores, no locked instruction).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fulcrum/ipvs/dest.hpp"
#include "fulcrum/ipvs/scheduler.hpp"
#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs {

// Written by the owning worker only, read by anyone.
struct Counters {
  std::atomic<uint64_t> conns{0};
  std::atomic<uint64_t> inpkts{0};
  std::atomic<uint64_t> outpkts{0};
  std::atomic<uint64_t> inbytes{0};
  std::atomic<uint64_t> outbytes{0};

  // Packet path, on the owning worker.
  void add_conn() { bump(conns, 1); }
  void add_in(uint64_t bytes) {
    bump(inpkts, 1);
    bump(inbytes, bytes);
  }
  void add_out(uint64_t bytes) {
    bump(outpkts, 1);
    bump(outbytes, bytes);
  }
  // On the owning worker (a zero request, or a new copy taking over from the old one).
  void zero() { copy_from(Stats{}); }
  void copy_from(const Stats& s);
  Stats snapshot() const;

 private:
  static void bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

// What a worker keeps per dest besides the scheduler's `Dest`, at the same index.
struct WorkerDestExtra {
  ForwardMethod forward = ForwardMethod::masq;
  uint32_t uid = 0;  // the master's number for this real server, never reused: what a connection names
  Counters stats;
};

class WorkerService {
 public:
  // Control path (the master): room for `n_dests`.
  explicit WorkerService(size_t n_dests);
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  ServiceKey key;
  uint32_t slot = 0;       // its place in every worker's table; what a connection will name it by
  uint32_t uid = 0;        // never reused: a connection whose service was deleted and re-created is not its
  uint32_t flags = 0;
  uint32_t timeout_s = 0;
  uint32_t netmask = 0;    // resolved: IPv4 mask in host order, or IPv6 prefix length
  ForwardMethod forward = ForwardMethod::masq;
  std::string scheduler_name;
  bool toa = true;                  // FullNAT: the client's address in a TCP option towards the real server
  std::vector<uint16_t> laddr_ids;  // FullNAT: the local-address group, ids of the worker's LocalPortPool
  uint32_t laddr_next = 0;          // where this worker's turn-taking over the group resumes

  std::vector<Dest> dests;                       // the scheduler is bound to this array
  std::unique_ptr<WorkerDestExtra[]> extra;      // dests.size() entries
  std::unique_ptr<Scheduler> scheduler;          // null for "none"
  Counters stats;
  // For each dest, where it was in the copy this one replaces (kNoDest when it is new): a hint that makes
  // carrying counters over O(n). A worker that missed a change falls back to a search by identity.
  std::vector<DestIndex> prev_index;

  // Hot path: the dest for a new connection, or kNoDest.
  DestIndex pick(const SchedInput& in) noexcept { return scheduler ? scheduler->pick(in) : kNoDest; }

  // On the worker, as this copy replaces `old`: takes over the service's counters and, for each dest that
  // is in both, its connection counters, overload flag and traffic counters. No allocation.
  void carry_from(const WorkerService& old) noexcept;
};

// One worker's services: slots the master assigns, and an open-addressing index by (protocol, family, VIP,
// port) over them. Both are sized at construction; nothing allocates afterwards.
//
// Why not rte_hash: a few thousand services at most, looked up once per new connection; a linear-probing
// table at most half full, whose entries are 4-byte slot numbers, is small, needs no EAL (so unit tests run
// anywhere) and is built and changed by the owning worker without allocating.
class WorkerServices {
 public:
  explicit WorkerServices(uint32_t max_services);
  WorkerServices(const WorkerServices&) = delete;
  WorkerServices& operator=(const WorkerServices&) = delete;

  // Hot path. The service for a packet to vip:vport (network order), or nullptr. As the kernel, a VIP's
  // catch-all service (port 0) answers for ports that have no service of their own.
  WorkerService* find(uint8_t protocol, Family family, const IpAddr& vip, uint16_t vport) const noexcept;
  WorkerService* at(uint32_t slot) const noexcept { return slot < slots_.size() ? slots_[slot] : nullptr; }

  // Puts `next` (nullptr: nothing) in `slot` and returns what was there, for the master to free. The index
  // follows the keys of both; `next` takes over the counters of the one it replaces when both are the same
  // service. Absolute, so a worker that missed a change is right again after the next one. False (nothing
  // changed) for a slot out of range.
  bool install(uint32_t slot, WorkerService* next, WorkerService** old) noexcept;

  void zero(uint32_t slot) noexcept;
  void zero_all() noexcept;

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  // Bumped by every install(): what the packet path's caches derived from the table (the NAT real servers
  // that replies are steered by) compare to know they are stale.
  uint64_t generation() const { return generation_; }

 private:
  uint32_t home(const ServiceKey& k) const noexcept;
  uint32_t locate(const ServiceKey& k) const noexcept;  // index position, or kNone
  void index_insert(uint32_t slot) noexcept;
  void index_erase(const ServiceKey& k, uint32_t slot) noexcept;

  static constexpr uint32_t kNone = UINT32_MAX;
  std::vector<WorkerService*> slots_;
  std::vector<uint32_t> index_;  // slot + 1; 0: empty
  uint32_t mask_ = 0;
  uint32_t size_ = 0;
  uint32_t catch_all_ = 0;  // services on port 0: only then does a miss look for one
  uint64_t generation_ = 0;
};

}  // namespace fulcrum::ipvs
