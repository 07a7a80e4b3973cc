#pragma once
// The master's own, authoritative copy of the addresses, routes, next hops and devices. Every change is
// validated here, with an error that names the value at fault, and comes out as the TableMsgs that bring each
// worker's LcoreTables to the same state; the caller pushes them. Plain C++, no DPDK: unit-tested alone.
//
// Rules (close to Linux):
// - an address is unique across devices; one with a prefix shorter than the host length brings a connected
//   route ("proto kernel") for its network, removed with the last address of that network;
// - a static route names a gateway on a connected network (its device is found when not given) and/or a
//   device; one prefix has one route; a connected route replaces a static one of the same prefix;
// - when a connected network goes away, the static routes through gateways on it go too;
// - each device has a source address per family, for packets we originate: the first address added to it
//   that is neither a VIP nor a FullNAT local address (else the first address).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fulcrum/ctrl/proto/inet.hpp"
#include "fulcrum/inet/addr.hpp"
#include "fulcrum/inet/table_msg.hpp"
#include "slot_allocator.hpp"

namespace fulcrum::inet {

struct AddrRecord {
  Addr addr;
  uint8_t plen = 0;
  Ifindex ifindex = 0;
  uint32_t flags = 0;
  uint32_t slot = 0;
  uint64_t order = 0;  // when it was added: the first of a device is its source address
};

using RouteProto = ctrl::inet_msg::RouteProto;

struct RouteRecord {
  Prefix prefix;
  RouteProto proto = RouteProto::static_route;
  Ifindex ifindex = 0;
  bool has_gateway = false;
  Addr gateway;
  std::optional<Addr> prefsrc;  // connected: the address that brought it
  uint32_t nh_slot = 0;
};

struct DeviceRecord {
  Mac mac{};
  uint16_t mtu = 0;
  std::optional<Addr> src[2];  // by family_index
};

class MasterTables {
 public:
  using Out = std::vector<TableMsg>;
  // Device names for messages ("dpdk0"); "if<N>" when it returns an empty string.
  using NameFn = std::function<std::string(Ifindex)>;

  MasterTables(const TableLimits& limits, NameFn name);

  // Devices, as netif reports them: a new one or a changed MAC or MTU comes out as if_set.
  void set_device(Ifindex ifindex, const Mac& mac, uint16_t mtu, Out& out);
  // Everything on a removed device goes: its addresses, routes and the device view.
  void remove_device(Ifindex ifindex, Out& out);
  const DeviceRecord* device(Ifindex ifindex) const;

  // 0 or a positive errno with `err` set to a line for the operator.
  int add_addr(const Addr& addr, uint8_t plen, Ifindex ifindex, uint32_t flags, std::string& err, Out& out);
  // plen 0xff: whatever length the address has.
  int del_addr(const Addr& addr, uint8_t plen, Ifindex ifindex, std::string& err, Out& out);
  // ifindex 0: the device of the connected route that covers the gateway.
  int add_route(const Prefix& prefix, const std::optional<Addr>& gateway, Ifindex ifindex, bool replace,
                std::string& err, Out& out);
  int del_route(const Prefix& prefix, std::string& err, Out& out);
  void set_forwarding(Family f, bool on, Out& out);
  bool forwarding(Family f) const { return forwarding_[family_index(f)]; }

  const AddrRecord* find_addr(const Addr& a) const;
  // Longest-prefix match: the master's slow path.
  const RouteRecord* lookup(const Addr& dst) const;
  // The connected route on `ifindex` (any device when 0) that covers `a`.
  const RouteRecord* connected_covering(const Addr& a, Ifindex ifindex) const;

  // For `show`: addresses by device then age, routes by family then prefix.
  std::vector<AddrRecord> addresses() const;
  std::vector<RouteRecord> routes(Family f) const;
  size_t route_count(Family f) const;
  uint32_t nexthops_in_use() const { return nh_slots_.used(); }

 private:
  struct NextHopKey {
    Family family = Family::v4;
    Ifindex ifindex = 0;
    bool has_gateway = false;
    Addr gateway;
    auto operator<=>(const NextHopKey&) const = default;
  };
  struct NextHopRef {
    uint32_t slot = 0;
    uint32_t refs = 0;
  };

  std::string dev_name(Ifindex ifindex) const;
  uint32_t acquire_nexthop(const NextHopKey& key, Out& out);
  void release_nexthop(uint32_t slot);
  void install_route(RouteRecord r, Out& out);
  void erase_route(std::map<Prefix, RouteRecord>::iterator it, Out& out);
  void add_connected(const AddrRecord& a, Out& out);
  void drop_connected(const Prefix& net, Ifindex ifindex, Out& out);
  void refresh_sources(Ifindex ifindex, Out& out);
  void emit_device(Ifindex ifindex, Out& out) const;
  std::map<Prefix, RouteRecord>& routes_of(Family f) { return routes_[family_index(f)]; }

  TableLimits limits_;
  NameFn name_;
  std::map<Ifindex, DeviceRecord> devices_;
  std::map<Addr, AddrRecord> addrs_;
  std::map<Prefix, RouteRecord> routes_[2];
  std::map<NextHopKey, NextHopRef> nexthops_;
  std::map<uint32_t, NextHopKey> nexthop_by_slot_;
  SlotAllocator addr_slots_;
  SlotAllocator nh_slots_;
  uint64_t order_ = 0;
  bool forwarding_[2] = {false, false};
};

}  // namespace fulcrum::inet
