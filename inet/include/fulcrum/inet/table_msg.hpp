#pragma once
// One change to the replicated tables, as the master pushes it to every worker over the message bus. The
// master owns the tables (master_tables, neigh_master) and decides every slot number, so a worker only stores
// what it is told: the same slot means the same entry on every lcore, and a change is one small message.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/inet/addr.hpp"

namespace fulcrum::inet {

using Ifindex = uint16_t;

constexpr unsigned kMaxIfindex = 256;     // netdevs: ports, VLANs and whatever netif adds later
constexpr uint32_t kMaxNextHops = 32767;  // what a 2-byte FIB value holds (one bit is the FIB's own)

// Table sizes, from [inet]; the same on every lcore.
struct TableLimits {
  uint32_t addresses = 4096;
  uint32_t routes = 1024;  // per family
  uint32_t neighbours = 4096;
  uint32_t nexthops() const { return std::min<uint32_t>(kMaxNextHops, 2 * routes + 2 * kMaxIfindex); }
};
using Mac = std::array<uint8_t, 6>;

enum class TableOp : uint8_t {
  if_set = 1,    // ifindex, mac, mtu; addr = IPv4 source, addr2 = IPv6 source (flags: kIfHasSrc4/6)
  if_del,        // ifindex
  addr_add,      // slot, family, addr, plen, ifindex, flags
  addr_del,      // slot, family, addr
  nexthop_set,   // slot, family, ifindex, flags (kNhGateway), addr2 = gateway
  route_set,     // family, addr/plen = prefix, slot = next hop slot (added, or changed in place)
  route_del,     // family, addr/plen
  neigh_set,     // slot, family, ifindex, addr, mac, state: usable; waiting packets for it go out
  neigh_del,     // slot (0: none installed), family, ifindex, addr: gone; waiting packets are dropped
  settings,      // family, flags: which settings change (kSetForwarding), slot: their new values (same bits)
};

enum : uint32_t { kIfHasSrc4 = 1, kIfHasSrc6 = 2 };
enum : uint32_t { kNhGateway = 1 };
enum : uint32_t { kSetForwarding = 1 };

// Neighbour states, as dpip shows them (ctrl::inet_msg::NeighState has the same values).
enum class NeighState : uint8_t { none = 0, incomplete = 1, reachable = 2, stale = 3, probe = 4, failed = 5,
                                  permanent = 6 };
constexpr bool has_mac(NeighState s) {
  return s == NeighState::reachable || s == NeighState::stale || s == NeighState::probe ||
         s == NeighState::permanent;
}

struct TableMsg {
  uint64_t seq = 0;  // set by the Replicator
  TableOp op = TableOp::if_set;
  Family family = Family::v4;
  uint8_t plen = 0;
  NeighState state = NeighState::none;
  Ifindex ifindex = 0;
  uint16_t mtu = 0;
  uint32_t slot = 0;
  uint32_t flags = 0;
  std::array<uint8_t, 16> addr{};
  std::array<uint8_t, 16> addr2{};
  Mac mac{};
  uint8_t reserved[2] = {};

  Addr address() const { return Addr::from_bytes(family, addr.data()); }
};
static_assert(std::is_trivially_copyable_v<TableMsg> && sizeof(TableMsg) <= core::kMsgPayloadMax);

// The key of a neighbour in every table: (device, family, address). 24 bytes, 8-aligned (rte_hash_crc reads
// keys 8 bytes at a time), with no padding left undefined.
struct alignas(8) NeighKey {
  std::array<uint8_t, 16> addr{};
  Ifindex ifindex = 0;
  Family family = Family::v4;
  uint8_t zero[5] = {};

  static NeighKey of(Family f, Ifindex ifindex, const uint8_t* a) {
    NeighKey k;
    k.family = f;
    k.ifindex = ifindex;
    std::memcpy(k.addr.data(), a, addr_len(f));
    return k;
  }
  static NeighKey of(Ifindex ifindex, const Addr& a) { return of(a.family, ifindex, a.data()); }
  Addr address() const { return Addr::from_bytes(family, addr.data()); }
  auto operator<=>(const NeighKey&) const = default;
};
static_assert(sizeof(NeighKey) == 24);

}  // namespace fulcrum::inet
