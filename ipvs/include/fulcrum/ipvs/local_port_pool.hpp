#pragma once
// FullNAT's local addresses and ports, as one worker holds them. The real server answers to
// local-address:local-port, and with no rte_flow on these ports the reply may arrive at any worker; so the
// port itself says which worker owns the connection: port p belongs to worker p mod workers. A worker hands
// out only its own ports, and any worker finds a reply's owner with one modulo (owner_of), then passes the
// packet on to it when it is not itself.
//
// Addresses have ids that the master assigns (the same on every worker, at most kMaxLaddrs). For each, a
// worker keeps its free ports in a FIFO ring: acquire and release are O(1) with no allocation, and a port
// comes back into use only after every other free port has. That is what keeps FullNAT clear of the real
// servers' TIME_WAIT: a server that closed first holds laddr:lport for 60 s and answers a new SYN on that
// tuple with a lower sequence number by a bare ACK, and the client's connection stalls for a retransmit. The master builds
// an address's entry (prepare: that is where the allocation is) and the worker installs it by pointer; an
// entry stays until the pool goes, because connections may hold its ports long after the last service
// stopped using the address, and a re-added address gets its old id back.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fulcrum::ipvs {

inline constexpr uint16_t kMaxLaddrs = 1024;

struct LocalAddress {
  uint8_t family = 4;     // 4 or 6
  uint8_t addr[16] = {};  // IPv4 in the first 4 bytes

  bool operator==(const LocalAddress& o) const;
  std::string to_string() const;
};

class LocalPortPool {
 public:
  struct Entry {
    LocalAddress address;
    std::vector<uint16_t> ring;   // the free ports from `head`, `free` of them, wrapping; as many slots as ports
    size_t head = 0;
    size_t free = 0;
    std::vector<uint8_t> in_use;  // by index of the port in owned_ports_ order: 1 while handed out
  };

  // Ports [min_port, max_port] (host order) that are p mod workers == worker. Throws std::invalid_argument
  // for an empty range or a worker index out of range.
  LocalPortPool(unsigned worker, unsigned workers, uint16_t min_port, uint16_t max_port);

  // Control path, any thread: an entry for `a` with every one of this worker's ports free, the first one
  // handed out being the start-th (mod the count) in ascending order. The daemon starts at a random port, so
  // that a restarted fulcrumd does not walk the same tuples the real servers still hold in TIME_WAIT; tests
  // start at 0 for ports they can predict.
  std::unique_ptr<Entry> prepare(const LocalAddress& a, size_t start = 0) const;
  // On the owning worker (or before it runs): puts `e` under `id`; the caller keeps owning the memory and
  // frees it only after the pool is gone. False for an id out of range or taken.
  bool install(uint16_t id, Entry* e);

  // Packet path. A free port of address `id`, host order; false when all are in use (or no such id).
  bool acquire(uint16_t id, uint16_t* port);
  // Returns a port; one that is not this worker's, or not in use, or of an id without an entry, is ignored
  // (false), so a stray release can not corrupt the stacks.
  bool release(uint16_t id, uint16_t port);
  const LocalAddress* address(uint16_t id) const { return id < kMaxLaddrs && by_id_[id] ? &by_id_[id]->address : nullptr; }

  size_t free_ports(uint16_t id) const { return id < kMaxLaddrs && by_id_[id] ? by_id_[id]->free : 0; }
  size_t ports_per_address() const { return owned_ports_.size(); }

  static unsigned owner_of(uint16_t port, unsigned workers) { return port % workers; }

 private:
  int index_of(uint16_t port) const;

  unsigned worker_;
  unsigned workers_;
  std::vector<uint16_t> owned_ports_;  // ascending
  std::vector<Entry*> by_id_;          // kMaxLaddrs, null where no entry
};

}  // namespace fulcrum::ipvs
