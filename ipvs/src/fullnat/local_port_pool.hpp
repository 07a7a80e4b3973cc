#pragma once
// FullNAT's local addresses and ports, as one worker holds them. The real server answers to
// local-address:local-port, and with no rte_flow on these ports the reply may arrive at any worker; so the
// port itself says which worker owns the connection: port p belongs to worker p mod workers. A worker hands
// out only its own ports, and any worker finds a reply's owner with one modulo (owner_of), then passes the
// packet on to it when it is not itself.
//
// Each worker keeps, per local address, a stack of its free ports: acquire and release are O(1) with no
// allocation; addresses are taken in turn so the load spreads over the group.

#include <cstdint>
#include <string>
#include <vector>

namespace fulcrum::ipvs {

struct LocalAddress {
  uint8_t family = 4;   // 4 or 6
  uint8_t addr[16] = {};  // IPv4 in the first 4 bytes

  bool operator==(const LocalAddress& o) const;
  std::string to_string() const;
};

class LocalPortPool {
 public:
  // Ports [min_port, max_port] (host order) that are p mod workers == worker. Throws std::invalid_argument
  // for an empty range or a worker index out of range.
  LocalPortPool(unsigned worker, unsigned workers, uint16_t min_port, uint16_t max_port);

  // Control path: the group's addresses (allocates). Adding one twice, or removing one absent, is refused
  // with false.
  bool add(const LocalAddress& a);
  bool remove(const LocalAddress& a);
  size_t addresses() const { return entries_.size(); }

  // Packet path: a free (address, port) of `family`, taking addresses in turn; false when every port of every
  // address of that family is in use. The port is in host order.
  bool acquire(uint8_t family, LocalAddress* out, uint16_t* port);
  // Returns a port; one that is not this worker's, or not in use, or of an address no longer in the group,
  // is ignored (false), so a late release after a group change can not corrupt the stacks.
  bool release(const LocalAddress& a, uint16_t port);

  // Free ports of one address, or of all (for counters and tests).
  size_t free_ports(const LocalAddress& a) const;
  size_t ports_per_address() const { return owned_ports_.size(); }

  static unsigned owner_of(uint16_t port, unsigned workers) { return port % workers; }

 private:
  struct Entry {
    LocalAddress address;
    std::vector<uint16_t> free;      // a stack of free ports
    std::vector<uint8_t> in_use;     // by index of the port in owned_ports_ order: 1 while handed out
  };
  int find(const LocalAddress& a) const;
  int index_of(uint16_t port) const;

  unsigned worker_;
  unsigned workers_;
  uint16_t min_port_;
  std::vector<uint16_t> owned_ports_;  // ascending
  std::vector<Entry> entries_;
  size_t next_ = 0;  // where the turn-taking resumes
};

}  // namespace fulcrum::ipvs
