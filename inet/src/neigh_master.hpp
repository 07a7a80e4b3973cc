#pragma once
// The neighbour table's state machine, run by the master alone (ARP and ND alike). Workers never change a
// neighbour themselves: they ask the master to resolve an address they need (resolve()), report what they
// learn from ARP and ND packets (learnt()), and receive every entry that has a MAC, in order, through the
// replicated tables. So an entry learnt on one worker reaches all of them, and the timers live in one place.
//
//   INCOMPLETE  solicited (broadcast / solicited-node multicast) every retrans_ms, up to `probes` times;
//               then FAILED: the workers drop the packets they held for it.
//   REACHABLE   confirmed (a reply to us, a solicited NA). After reachable_ms (with +-25% jitter, so that
//               neighbours learnt together are not probed together): PROBE if a worker used it since, else
//               STALE.
//   STALE       still used to send. Checked every delay_ms: used since -> PROBE; unused for stale_ms -> gone.
//   PROBE       unicast solicitations every retrans_ms, up to `probes`; an answer makes it REACHABLE, silence
//               FAILED (and the workers stop using it).
//   FAILED      shown for stale_ms, then gone; a new request for it starts over.
//   PERMANENT   added by the operator; never expires, never overwritten by what is learnt.
//
// Workers mark use in a per-slot tick array (their own, read here): no message per packet.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/inet/inet_config.hpp"
#include "fulcrum/inet/table_msg.hpp"
#include "slot_allocator.hpp"

namespace fulcrum::inet {

// What the state machine does to the world; the daemon pushes and sends, unit tests record.
class NeighEnv {
 public:
  virtual ~NeighEnv() = default;
  // To every worker, in order.
  virtual void push(const TableMsg& m) = 0;
  // An ARP request or NS for key.addr on key.ifindex: to `unicast` when given, else broadcast / multicast.
  virtual void solicit(const NeighKey& key, const Mac* unicast) = 0;
  // The newest tick (of the timer wheel, | 1) at which any worker sent through `slot`; 0 when none did.
  virtual uint32_t last_used(uint32_t slot) = 0;
  // A resolution or probe got no answer.
  virtual void failed(const NeighKey& key) = 0;
};

struct NeighInfo {
  NeighKey key;
  NeighState state = NeighState::none;
  bool has_mac = false;
  Mac mac{};
  uint8_t probes = 0;
  uint32_t updated_tick = 0;
};

class NeighMaster {
 public:
  // `tick_us`: the wheel's tick length. `capacity`: inet.max_neighbours.
  NeighMaster(const NeighConfig& cfg, uint32_t capacity, uint32_t tick_us, core::TimerWheel& wheel, NeighEnv& env);
  ~NeighMaster();
  NeighMaster(const NeighMaster&) = delete;
  NeighMaster& operator=(const NeighMaster&) = delete;

  // A worker needs `key` and has no MAC for it. Returns false when the table is full.
  bool resolve(const NeighKey& key);
  // A worker saw `key` at `mac` (null: an NA without a link-layer option, which only confirms). `confirmed`:
  // an answer to us (ARP reply to our address, solicited NA). `update_only`: not addressed to us, so it may
  // refresh an entry but not create one (RFC 826's merge flag).
  void learnt(const NeighKey& key, const Mac* mac, bool confirmed, bool update_only);

  // The operator's static entries. 0 or a positive errno with `err` set.
  int add_static(const NeighKey& key, const Mac& mac, std::string& err);
  int remove(const NeighKey& key, std::string& err);
  // Every entry that is not PERMANENT, of `family` (all when nullopt) on `ifindex` (all when 0).
  size_t flush(std::optional<Family> family, Ifindex ifindex);
  // Everything on a removed device, PERMANENT included.
  void remove_ifindex(Ifindex ifindex);

  std::vector<NeighInfo> list() const;
  std::optional<NeighInfo> find(const NeighKey& key) const;
  size_t size() const { return entries_.size(); }
  uint32_t now() const { return wheel_.now(); }

 private:
  struct Entry {
    core::Timer timer;  // first: the timer callback finds the entry from it
    NeighKey key;
    NeighState state = NeighState::none;
    Mac mac{};
    bool mac_known = false;
    uint8_t probes = 0;
    uint32_t slot = 0;
    uint32_t updated = 0;  // tick of the last state change or confirmation
  };

  static void on_timer(core::Timer* timer, void* self);
  void expire(Entry& e);
  void to_probe(Entry& e);
  void set_mac_state(Entry& e, const Mac& mac, NeighState state);
  void push_set(const Entry& e);
  void push_del(const Entry& e);
  void arm(Entry& e, uint32_t ms);
  uint32_t reachable_jitter_ms();
  bool used_since(const Entry& e, uint32_t since) const;
  void erase(std::map<NeighKey, std::unique_ptr<Entry>>::iterator it);

  NeighConfig cfg_;
  uint32_t tick_us_;
  core::TimerWheel& wheel_;
  NeighEnv& env_;
  uint8_t kind_;
  SlotAllocator slots_;
  std::map<NeighKey, std::unique_ptr<Entry>> entries_;
  uint64_t rng_ = 0x9e3779b97f4a7c15ull;
};

}  // namespace fulcrum::inet
