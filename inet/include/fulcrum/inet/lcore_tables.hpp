#pragma once
// One worker's copy of the address, route and neighbour tables. Only the owning lcore reads or writes it: the
// packet path looks up, the bus handler applies the master's changes (apply()), so nothing here is locked
// and nothing is shared with another lcore.
//
//   addresses   rte_hash per family (address -> slot), entries in an array by slot
//   routes      rte_fib (DIR24_8) and rte_fib6 (TRIE), prefix -> next-hop slot; next hops in an array by slot
//   neighbours  rte_hash on NeighKey -> slot, entries in an array by slot
//   devices     what the packet path needs of each netdev: MAC, MTU, the source address per family
//
// Next hops are shared by the routes that use them (a gateway, or a device for connected routes), so the
// FIBs store 2-byte values (32767 next hops at most) and cost 32 MiB each per worker.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "fulcrum/inet/addr.hpp"
#include "fulcrum/inet/table_msg.hpp"

struct rte_hash;
struct rte_fib;
struct rte_fib6;

namespace fulcrum::inet {

struct AddrEntry {
  Addr addr;
  Ifindex ifindex = 0;
  uint8_t plen = 0;
  bool present = false;
  uint32_t flags = 0;  // ctrl::inet_msg::AddrFlags: vip, fnat_local
};

struct NextHop {
  Ifindex ifindex = 0;
  Family family = Family::v4;
  uint8_t flags = 0;  // kNhGateway
  std::array<uint8_t, 16> gateway{};
  bool has_gateway() const { return (flags & kNhGateway) != 0; }
};

struct NeighEntry {
  NeighKey key;
  rte_ether_addr mac{};
  NeighState state = NeighState::none;
  bool present = false;
};

struct IfView {
  bool present = false;
  uint16_t mtu = 0;
  rte_ether_addr mac{};
  bool has_src[2] = {false, false};  // by family_index
  Addr src[2];                       // the address packets we originate on this device leave from
};

class LcoreTables {
 public:
  // Creates the FIBs and hashes on the lcore's socket; names carry `lcore` (DPDK wants unique names).
  // Throws std::runtime_error naming what could not be allocated.
  LcoreTables(unsigned lcore, const TableLimits& limits);
  ~LcoreTables();
  LcoreTables(const LcoreTables&) = delete;
  LcoreTables& operator=(const LcoreTables&) = delete;

  // Applies one change; 0 or a positive errno (a message that contradicts the tables: a bug, counted by the
  // caller, never a crash).
  int apply(const TableMsg& msg);

  // ---- lookups, owning lcore only ----
  const AddrEntry* find_addr4(uint32_t be) const;
  const AddrEntry* find_addr6(const uint8_t* a) const;
  const AddrEntry* find_addr(const Addr& a) const {
    return a.family == Family::v4 ? find_addr4(a.v4_be()) : find_addr6(a.data());
  }
  // Up to 64 at once; out[i] is null for an address that is not ours.
  void find_addr4_bulk(const uint32_t* be, unsigned n, const AddrEntry** out) const;

  // Next-hop slots, 0 when no route matches. IPv4 addresses in host order, as rte_fib wants them.
  void route4_bulk(uint32_t* ips_host, uint64_t* nh, unsigned n) const;
  void route6_bulk(uint8_t (*ips)[16], uint64_t* nh, unsigned n) const;
  uint32_t route(const Addr& dst) const;
  const NextHop& nexthop(uint32_t slot) const { return nexthops_[slot]; }

  // Slot of a usable neighbour (has a MAC), 0 when there is none.
  uint32_t find_neigh(const NeighKey& key) const;
  const NeighEntry& neigh(uint32_t slot) const { return neighs_[slot]; }

  const IfView& ifv(Ifindex ifindex) const { return ifs_[ifindex < kMaxIfindex ? ifindex : 0]; }

  bool forwarding(Family f) const { return forwarding_[family_index(f)]; }

  size_t addr_count() const { return addr_count_; }

 private:
  void release();
  int apply_if(const TableMsg& m);
  int apply_addr(const TableMsg& m);
  int apply_route(const TableMsg& m);
  int apply_neigh(const TableMsg& m);

  TableLimits limits_;
  rte_hash* addr4_ = nullptr;
  rte_hash* addr6_ = nullptr;
  rte_hash* neigh_ = nullptr;
  rte_fib* fib4_ = nullptr;
  rte_fib6* fib6_ = nullptr;
  std::vector<AddrEntry> addrs_;
  std::vector<NextHop> nexthops_;
  std::vector<NeighEntry> neighs_;
  std::vector<IfView> ifs_;
  size_t addr_count_ = 0;
  bool forwarding_[2] = {false, false};
};

}  // namespace fulcrum::inet
