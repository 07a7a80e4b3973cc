#pragma once
// Persistence templates (a service with kSvcPersistent, ipvsadm -p TIMEOUT -M NETMASK): the first connection
// from a client network picks a real server with the scheduler, and a template remembers it, so that the
// network's next connections to the service go to the same one while the template lives.
//
// As the kernel's templates: the key is the client address masked by the service's netmask and the service
// itself, which is (protocol, VIP, port) for a service on a port, and (protocol, VIP, every port) for a
// catch-all service on port 0 (the kernel's template with vport 0). A template whose real server was
// removed from the service is dropped and the scheduler picks again; one whose real server is only
// quiescent (weight 0) still holds, as with the kernel's default expire_quiescent_template = 0.
//
// A template lives `timeout` seconds after the last connection it made, and after the end of each connection
// it made (keep(): the kernel restarts a template's timer while it controls connections). Differences from
// the kernel, by design: templates are per worker (the dataplane
// steers a persistent service's new flows to the worker that owns the client's address, see
// IpvsDataplane::steer_owner); and they are not listed by ipvsadm -Lc.
//
// One worker's table, fixed at construction: buckets of four entries in a flat array, no allocation and no
// lock on the packet path. A full bucket gives up its entry that expires first.

#include <cstdint>
#include <memory>

#include "dp_counters.hpp"
#include "fulcrum/ipvs/scheduler.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {

class PersistTable {
 public:
  // Room for about `capacity` templates (rounded up to a power of two, at least one bucket).
  explicit PersistTable(uint32_t capacity, uint64_t seed = 0x9e3779b97f4a7c15ull);

  // The dest for a new connection of persistent `svc` from in.saddr at in.now_s: the live template's, else
  // the scheduler's (and then remembered). kNoDest when the scheduler has none.
  DestIndex pick(WorkerService& svc, const SchedInput& in, DpCounters& ctr) noexcept;

  // A connection the template made has ended (released at `now_s`): the template lives at least `timeout`
  // longer, as the kernel keeps a template while it controls connections.
  void keep(const WorkerService& svc, Family f, const uint8_t* caddr, uint32_t dest_uid, uint32_t now_s) noexcept;

  uint32_t capacity() const { return (mask_ + 1) * kWays; }
  // Live templates at `now_s` (for tests and diagnostics: walks the table).
  uint32_t live(uint32_t now_s) const noexcept;

  // The client network a template is for: `addr` (16 bytes, IPv4 in the first 4) masked by the service's
  // netmask (IPv4: a host-order mask; IPv6: a prefix length).
  static void mask_client(Family f, uint32_t netmask, const uint8_t* addr, uint8_t* out) noexcept;

 private:
  static constexpr unsigned kWays = 4;
  struct Entry {
    uint8_t net[16];
    uint32_t svc_slot;
    uint32_t svc_uid;  // 0: empty (the master's uids start at 1)
    uint32_t dest_uid;
    uint32_t dest_hint;  // the dest's index when the template was made or last used
    uint32_t expires_s;
  };
  uint64_t hash(const uint8_t* net, uint32_t svc_uid) const noexcept;

  std::unique_ptr<Entry[]> entries_;
  uint32_t mask_ = 0;  // buckets - 1
  uint64_t seed_;
};

}  // namespace fulcrum::ipvs
