#pragma once
// Steering for the methods whose replies carry no port of ours (NAT), and for persistent services, when
// there are several workers. Ports here have no rte_flow and hash each direction of a flow on its own tuple,
// so the client's packets and the real server's replies of one NAT connection may reach different workers.
// Both directions can name the client's address, though: its worker owns the connection (client_owner).
//
// - In-direction: a miss on a service that steers (persistent, or with a NAT real server) goes to the
//   client's owner, which makes the connection; the flow's later packets, arriving where the first did,
//   miss again and follow it there.
// - Replies: a packet that matches no service and comes from a NAT real server's address and port goes to
//   the owner of its destination (the client). Which (address, port) pairs are NAT real servers is this
//   worker's NatDestSet, rebuilt from its service table when the table's generation changes.
// FullNAT keeps its own steering by local port; DR and TUN need none (only the in-direction passes here).

#include <cstdint>
#include <cstring>
#include <memory>

#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/worker_service.hpp"

namespace fulcrum::ipvs {

// The worker that owns a client's NAT connections and persistence templates: by its address alone, so that
// a persistent client's connections meet its templates and its replies' owner is known from the reply.
inline unsigned client_owner(uint8_t family, const uint8_t* addr, unsigned workers) {
  uint32_t h = 2166136261u;  // FNV-1a: spreads addresses; nothing is stored by it, so no seed is needed
  const unsigned n = family == 4 ? 4 : 16;
  for (unsigned i = 0; i < n; ++i) h = (h ^ addr[i]) * 16777619u;
  return workers <= 1 ? 0 : (h ^ (h >> 16)) % workers;
}

// Whether a new flow to `svc` must be made on its client's owner worker.
inline bool service_steers(const WorkerService& svc) {
  if (svc.flags & kSvcPersistent) return true;
  for (size_t i = 0; i < svc.dests.size(); ++i) {
    if (svc.extra[i].forward == ForwardMethod::masq) return true;
  }
  return false;
}

// The (address, port) of every NAT real server of one worker's services: open addressing, sized once.
class NatDestSet {
 public:
  static constexpr uint32_t kSlots = 16384;  // a power of two; at most half used
  // Before the lcores run (IpvsDataplane::init); without it the set is empty and steers nothing.
  void init() { slots_ = std::make_unique<Slot[]>(kSlots); }

  // True when (family, addr, port) is a NAT real server of `table` (rebuilt first if the table changed).
  // `addr` is 16 bytes, an IPv4 address zero-padded (as FlowKey holds it).
  bool contains(const WorkerServices& table, uint8_t family, const uint8_t* addr, uint16_t port_be) noexcept {
    if (!slots_) return false;
    if (!built_ || generation_ != table.generation()) rebuild(table);
    if (count_ == 0) return false;
    for (uint32_t i = home(addr, port_be);; i = (i + 1) & (kSlots - 1)) {
      const Slot& s = slots_[i];
      if (!s.used) return false;
      if (s.family == family && s.port == port_be && std::memcmp(s.addr, addr, 16) == 0) return true;
    }
  }
  bool overflowed() const { return overflow_; }

 private:
  struct Slot {
    uint8_t addr[16];
    uint16_t port;
    uint8_t family;
    bool used;
  };
  static uint32_t home(const uint8_t* addr, uint16_t port) {
    uint32_t h = 2166136261u ^ port;
    for (unsigned i = 0; i < 16; ++i) h = (h ^ addr[i]) * 16777619u;
    return (h ^ (h >> 15)) & (kSlots - 1);
  }
  // After a service change (control-path rate, on the worker): no allocation, a pass over the table.
  void rebuild(const WorkerServices& table) noexcept {
    for (uint32_t i = 0; i < kSlots; ++i) slots_[i].used = false;
    count_ = 0;
    overflow_ = false;
    for (uint32_t slot = 0; slot < table.capacity(); ++slot) {
      const WorkerService* svc = table.at(slot);
      if (svc == nullptr) continue;
      for (size_t d = 0; d < svc->dests.size(); ++d) {
        if (svc->extra[d].forward != ForwardMethod::masq) continue;
        insert(svc->key.family == Family::v4 ? 4 : 6, svc->dests[d].id.addr.bytes.data(), svc->dests[d].id.port);
      }
    }
    generation_ = table.generation();
    built_ = true;
  }
  void insert(uint8_t family, const uint8_t* addr, uint16_t port) noexcept {
    if (count_ >= kSlots / 2) {
      overflow_ = true;  // the rest are not steered: documented, and visible here
      return;
    }
    for (uint32_t i = home(addr, port);; i = (i + 1) & (kSlots - 1)) {
      Slot& s = slots_[i];
      if (!s.used) {
        std::memcpy(s.addr, addr, 16);
        s.port = port;
        s.family = family;
        s.used = true;
        ++count_;
        return;
      }
      if (s.family == family && s.port == port && std::memcmp(s.addr, addr, 16) == 0) return;
    }
  }

  std::unique_ptr<Slot[]> slots_;
  uint32_t count_ = 0;
  uint64_t generation_ = 0;
  bool built_ = false;
  bool overflow_ = false;
};

}  // namespace fulcrum::ipvs
