#pragma once
// The scheduler interface: given a new connection, which dest gets it. Pure C++, no DPDK, so that unit tests
// need no EAL.
//
// Two paths, with different rules:
// - Control path (construct, rebuild, clone): may allocate and throw. Runs on the master, or on a worker
//   between bursts.
// - Hot path (pick, bind): no allocation, no exception, no lock, no system call. Runs on the worker that owns
//   the service copy, once per new connection.
//
// A scheduler sees the service's dests as a span it is bound to, and answers with an index into it. The span
// is owned by the service; it must outlive the binding and keep its size and order until the next rebuild.
// The live fields of the dests (counters, flags) change under the scheduler's feet without a rebuild; identity
// and weight changes need one.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "fulcrum/ipvs/dest.hpp"

namespace fulcrum::ipvs {

using DestIndex = uint32_t;
inline constexpr DestIndex kNoDest = UINT32_MAX;

// What a pick may look at. The caller fills what the packet says; a scheduler reads only what it needs.
struct SchedInput {
  IpAddr saddr;         // the client
  IpAddr daddr;         // what the client asked for: the VIP, or the original destination (lblc, lblcr, dh)
  uint16_t sport = 0;   // network byte order
  uint16_t dport = 0;   // network byte order
  Family family = Family::v4;  // of saddr and daddr
  uint8_t protocol = 0;        // IPPROTO_TCP, IPPROTO_UDP, ...
  uint32_t now_s = 0;          // a monotonic clock in seconds; only lblc and lblcr read it
};

// Service flags the schedulers read, with the kernel's bit values (IP_VS_SVC_F_SCHED1/2), so that a service's
// flag word from ipvsadm can be passed as it is.
inline constexpr uint32_t kSchedFallback = 0x0008;  // sh, mh, conhash: an unavailable dest's clients go on
inline constexpr uint32_t kSchedPort = 0x0010;      // sh, mh, conhash: hash the source port too

// Per-service settings. Changing them means making a new scheduler.
struct SchedConfig {
  uint32_t flags = 0;                     // kSchedFallback | kSchedPort
  uint32_t mh_table_size = 65537;         // mh: a prime, larger than the number of dests
  uint32_t conhash_replicas = 160;        // conhash: ring points per unit of weight
  uint32_t lblc_entries = 16384;          // lblc, lblcr: destination addresses remembered (rounded up to 2^k)
  uint32_t lblc_expiration_s = 24 * 3600; // lblc, lblcr: an entry unused this long is forgotten
  uint64_t seed = 0;                      // twos: its random numbers (give each worker its own)
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The name it is registered under: "rr", "mh", ...
  virtual std::string_view name() const noexcept = 0;

  // Control path. Recomputes what the scheduler derives from the dest set (tables, gcd, ...) and binds to
  // `dests`. Call it after any change to the set, the order or a weight. Keeps per-worker state where the
  // kernel does (rr's place in the list, lblc's cache). Throws std::invalid_argument for a weight above
  // kMaxWeight, a dest listed twice, or a set the scheduler cannot hold; the scheduler is then unchanged.
  virtual void rebuild(std::span<const Dest> dests) = 0;

  // Control path: a copy with the same derived state, bound to the same span. With bind() this lets the master
  // build an expensive table (mh, conhash) once and hand each worker a copy, instead of every worker stalling
  // its packet loop to build its own.
  virtual std::unique_ptr<Scheduler> clone() const = 0;

  // Hot path. Binds to another array that holds the same dests, in the same order, with the same weights (a
  // worker's own copy, with its own counters). O(1). False, and nothing changes, when the size differs.
  virtual bool bind(std::span<const Dest> dests) noexcept = 0;

  // Hot path. The dest for a new connection, or kNoDest when none can take it.
  virtual DestIndex pick(const SchedInput& in) noexcept = 0;

 protected:
  // Copyable only through clone(), so that nobody slices one.
  Scheduler() = default;
  Scheduler(const Scheduler&) = default;
  Scheduler& operator=(const Scheduler&) = default;
};

}  // namespace fulcrum::ipvs
