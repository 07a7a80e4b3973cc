#include "master_tables.hpp"

#include <algorithm>
#include <cerrno>

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;

constexpr uint32_t kKnownAddrFlags = msg::addr_vip | msg::addr_fnat_local;

TableMsg make(TableOp op, Family f) {
  TableMsg m;
  m.op = op;
  m.family = f;
  return m;
}

std::string with_len(const Addr& a, uint8_t plen) { return a.to_string() + "/" + std::to_string(plen); }

Prefix network_of(const AddrRecord& a) { return Prefix{mask(a.addr, a.plen), a.plen}; }

bool is_host_len(const AddrRecord& a) { return a.plen == max_prefix_len(a.addr.family); }

}  // namespace

MasterTables::MasterTables(const TableLimits& limits, NameFn name)
    : limits_(limits), name_(std::move(name)), addr_slots_(limits.addresses), nh_slots_(limits.nexthops()) {}

std::string MasterTables::dev_name(Ifindex ifindex) const {
  std::string n = name_ ? name_(ifindex) : std::string();
  return n.empty() ? "if" + std::to_string(ifindex) : n;
}

// ---- devices ----

void MasterTables::emit_device(Ifindex ifindex, Out& out) const {
  const auto it = devices_.find(ifindex);
  if (it == devices_.end()) return;
  const DeviceRecord& d = it->second;
  TableMsg m = make(TableOp::if_set, Family::v4);
  m.ifindex = ifindex;
  m.mac = d.mac;
  m.mtu = d.mtu;
  if (d.src[0]) {
    m.flags |= kIfHasSrc4;
    m.addr = d.src[0]->bytes;
  }
  if (d.src[1]) {
    m.flags |= kIfHasSrc6;
    m.addr2 = d.src[1]->bytes;
  }
  out.push_back(m);
}

void MasterTables::set_device(Ifindex ifindex, const Mac& mac, uint16_t mtu, Out& out) {
  if (ifindex == 0 || ifindex >= kMaxIfindex) return;
  auto [it, added] = devices_.try_emplace(ifindex);
  if (!added && it->second.mac == mac && it->second.mtu == mtu) return;
  it->second.mac = mac;
  it->second.mtu = mtu;
  emit_device(ifindex, out);
}

const DeviceRecord* MasterTables::device(Ifindex ifindex) const {
  const auto it = devices_.find(ifindex);
  return it == devices_.end() ? nullptr : &it->second;
}

void MasterTables::remove_device(Ifindex ifindex, Out& out) {
  std::vector<AddrRecord> gone;
  for (const auto& [addr, rec] : addrs_) {
    if (rec.ifindex == ifindex) gone.push_back(rec);
  }
  std::string ignored;
  for (const auto& a : gone) del_addr(a.addr, a.plen, ifindex, ignored, out);
  for (auto& table : routes_) {
    for (auto it = table.begin(); it != table.end();) {
      const auto next = std::next(it);
      if (it->second.ifindex == ifindex) erase_route(it, out);
      it = next;
    }
  }
  if (devices_.erase(ifindex) > 0) {
    TableMsg m = make(TableOp::if_del, Family::v4);
    m.ifindex = ifindex;
    out.push_back(m);
  }
}

void MasterTables::refresh_sources(Ifindex ifindex, Out& out) {
  const auto dev = devices_.find(ifindex);
  if (dev == devices_.end()) return;
  std::optional<Addr> best[2];
  uint64_t best_order[2] = {UINT64_MAX, UINT64_MAX};
  bool best_plain[2] = {false, false};
  for (const auto& [addr, rec] : addrs_) {
    if (rec.ifindex != ifindex) continue;
    const unsigned f = family_index(addr.family);
    const bool plain = (rec.flags & kKnownAddrFlags) == 0;
    // A plain address beats a VIP or local address; among equals the oldest wins.
    if (!best[f] || (plain && !best_plain[f]) || (plain == best_plain[f] && rec.order < best_order[f])) {
      best[f] = addr;
      best_order[f] = rec.order;
      best_plain[f] = plain;
    }
  }
  if (best[0] == dev->second.src[0] && best[1] == dev->second.src[1]) return;
  dev->second.src[0] = best[0];
  dev->second.src[1] = best[1];
  emit_device(ifindex, out);
}

// ---- addresses ----

int MasterTables::add_addr(const Addr& addr, uint8_t plen, Ifindex ifindex, uint32_t flags, std::string& err,
                           Out& out) {
  const std::string text = with_len(addr, plen);
  if (plen > max_prefix_len(addr.family)) {
    err = "prefix length " + std::to_string(plen) + " is out of range for " + family_name(addr.family) +
          " (0 to " + std::to_string(max_prefix_len(addr.family)) + ")";
    return EINVAL;
  }
  if (addr.is_unspecified() || addr.is_multicast() || addr.is_loopback() || addr.is_limited_broadcast()) {
    err = "address " + addr.to_string() + " can not be assigned to a device (unspecified, multicast, loopback " +
          "or broadcast)";
    return EINVAL;
  }
  if ((flags & ~kKnownAddrFlags) != 0) {
    err = "unknown address flags " + std::to_string(flags & ~kKnownAddrFlags) + " (known: vip 1, fnat-local 2)";
    return EINVAL;
  }
  if (devices_.find(ifindex) == devices_.end()) {
    err = "cannot find device \"" + dev_name(ifindex) + "\"";
    return ENODEV;
  }
  if (const auto it = addrs_.find(addr); it != addrs_.end()) {
    err = it->second.ifindex == ifindex
              ? "address " + with_len(addr, it->second.plen) + " is already on " + dev_name(ifindex)
              : "address " + addr.to_string() + " is already on " + dev_name(it->second.ifindex) +
                    " (an address belongs to one device)";
    return EEXIST;
  }
  const uint32_t slot = addr_slots_.take();
  if (slot == 0) {
    err = "no room for " + text + ": inet.max_addresses (" + std::to_string(limits_.addresses) + ") are in use";
    return ENOSPC;
  }
  AddrRecord rec{addr, plen, ifindex, flags, slot, ++order_};
  addrs_.emplace(addr, rec);
  TableMsg m = make(TableOp::addr_add, addr.family);
  m.slot = slot;
  m.addr = addr.bytes;
  m.plen = plen;
  m.ifindex = ifindex;
  m.flags = flags;
  out.push_back(m);
  refresh_sources(ifindex, out);
  if (!is_host_len(rec)) add_connected(rec, out);
  return 0;
}

int MasterTables::del_addr(const Addr& addr, uint8_t plen, Ifindex ifindex, std::string& err, Out& out) {
  const auto it = addrs_.find(addr);
  if (it == addrs_.end() || it->second.ifindex != ifindex || (plen != 0xff && plen != it->second.plen)) {
    err = "address " + (plen == 0xff ? addr.to_string() : with_len(addr, plen)) + " is not on " +
          dev_name(ifindex);
    if (it != addrs_.end()) {
      err += " (it is " + with_len(addr, it->second.plen) + " on " + dev_name(it->second.ifindex) + ")";
    }
    return EADDRNOTAVAIL;
  }
  const AddrRecord rec = it->second;
  addrs_.erase(it);
  TableMsg m = make(TableOp::addr_del, addr.family);
  m.slot = rec.slot;
  m.addr = addr.bytes;
  m.ifindex = ifindex;
  out.push_back(m);
  addr_slots_.give(rec.slot);
  refresh_sources(ifindex, out);
  if (!is_host_len(rec)) drop_connected(network_of(rec), ifindex, out);
  return 0;
}

const AddrRecord* MasterTables::find_addr(const Addr& a) const {
  const auto it = addrs_.find(a);
  return it == addrs_.end() ? nullptr : &it->second;
}

std::vector<AddrRecord> MasterTables::addresses() const {
  std::vector<AddrRecord> out;
  for (const auto& [addr, rec] : addrs_) out.push_back(rec);
  std::sort(out.begin(), out.end(), [](const AddrRecord& a, const AddrRecord& b) {
    return a.ifindex != b.ifindex ? a.ifindex < b.ifindex : a.order < b.order;
  });
  return out;
}

// ---- next hops ----

uint32_t MasterTables::acquire_nexthop(const NextHopKey& key, Out& out) {
  auto it = nexthops_.find(key);
  if (it != nexthops_.end()) {
    ++it->second.refs;
    return it->second.slot;
  }
  const uint32_t slot = nh_slots_.take();
  if (slot == 0) return 0;
  nexthops_.emplace(key, NextHopRef{slot, 1});
  nexthop_by_slot_.emplace(slot, key);
  TableMsg m = make(TableOp::nexthop_set, key.family);
  m.slot = slot;
  m.ifindex = key.ifindex;
  m.flags = key.has_gateway ? uint32_t{kNhGateway} : 0u;
  m.addr2 = key.gateway.bytes;
  out.push_back(m);
  return slot;
}

void MasterTables::release_nexthop(uint32_t slot) {
  const auto by_slot = nexthop_by_slot_.find(slot);
  if (by_slot == nexthop_by_slot_.end()) return;
  auto it = nexthops_.find(by_slot->second);
  if (--it->second.refs > 0) return;
  nexthops_.erase(it);
  nexthop_by_slot_.erase(by_slot);
  nh_slots_.give(slot);
}

// ---- routes ----

void MasterTables::install_route(RouteRecord r, Out& out) {
  TableMsg m = make(TableOp::route_set, r.prefix.addr.family);
  m.addr = r.prefix.addr.bytes;
  m.plen = r.prefix.len;
  m.slot = r.nh_slot;
  out.push_back(m);
  auto& table = routes_of(r.prefix.addr.family);
  auto it = table.find(r.prefix);
  if (it != table.end()) {
    const uint32_t old = it->second.nh_slot;
    it->second = std::move(r);
    release_nexthop(old);  // after the new one was taken: a shared slot stays put
  } else {
    table.emplace(r.prefix, std::move(r));
  }
}

void MasterTables::erase_route(std::map<Prefix, RouteRecord>::iterator it, Out& out) {
  const Prefix p = it->first;
  TableMsg m = make(TableOp::route_del, p.addr.family);
  m.addr = p.addr.bytes;
  m.plen = p.len;
  out.push_back(m);
  const uint32_t slot = it->second.nh_slot;
  routes_of(p.addr.family).erase(it);
  release_nexthop(slot);
}

void MasterTables::add_connected(const AddrRecord& a, Out& out) {
  const Prefix net = network_of(a);
  auto& table = routes_of(a.addr.family);
  const auto it = table.find(net);
  if (it != table.end() && it->second.proto == RouteProto::kernel) return;  // the network is already connected
  const uint32_t slot = acquire_nexthop({a.addr.family, a.ifindex, false, Addr{a.addr.family, {}}}, out);
  if (slot == 0) return;  // next hops are sized for every route and device: can not happen
  RouteRecord r;
  r.prefix = net;
  r.proto = RouteProto::kernel;
  r.ifindex = a.ifindex;
  r.prefsrc = a.addr;
  r.nh_slot = slot;
  install_route(std::move(r), out);  // a static route of the same prefix is replaced
}

void MasterTables::drop_connected(const Prefix& net, Ifindex ifindex, Out& out) {
  for (const auto& [addr, rec] : addrs_) {
    if (!is_host_len(rec) && network_of(rec) == net) {
      // Another address keeps the network; it becomes the route's source if the old one left.
      auto& table = routes_of(net.addr.family);
      const auto r = table.find(net);
      if (r != table.end() && r->second.prefsrc && !find_addr(*r->second.prefsrc)) r->second.prefsrc = addr;
      return;
    }
  }
  auto& table = routes_of(net.addr.family);
  const auto it = table.find(net);
  if (it == table.end() || it->second.proto != RouteProto::kernel) return;
  erase_route(it, out);
  // Static routes whose gateway was on that network lose their way out, as in Linux.
  for (auto r = table.begin(); r != table.end();) {
    const auto next = std::next(r);
    if (r->second.proto == RouteProto::static_route && r->second.has_gateway && r->second.ifindex == ifindex &&
        !r->second.gateway.is_link_local() && connected_covering(r->second.gateway, ifindex) == nullptr) {
      erase_route(r, out);
    }
    r = next;
  }
}

const RouteRecord* MasterTables::connected_covering(const Addr& a, Ifindex ifindex) const {
  const RouteRecord* best = nullptr;
  for (const auto& [prefix, r] : routes_[family_index(a.family)]) {
    if (r.proto != RouteProto::kernel || !prefix.contains(a)) continue;
    if (ifindex != 0 && r.ifindex != ifindex) continue;
    if (best == nullptr || prefix.len > best->prefix.len) best = &r;
  }
  return best;
}

const RouteRecord* MasterTables::lookup(const Addr& dst) const {
  const RouteRecord* best = nullptr;
  for (const auto& [prefix, r] : routes_[family_index(dst.family)]) {
    if (prefix.contains(dst) && (best == nullptr || prefix.len > best->prefix.len)) best = &r;
  }
  return best;
}

int MasterTables::add_route(const Prefix& prefix, const std::optional<Addr>& gateway, Ifindex ifindex,
                            bool replace, std::string& err, Out& out) {
  const Family f = prefix.addr.family;
  if (prefix.len > max_prefix_len(f)) {
    err = "prefix length " + std::to_string(prefix.len) + " is out of range for " + family_name(f);
    return EINVAL;
  }
  if (mask(prefix.addr, prefix.len) != prefix.addr) {
    err = "prefix " + with_len(prefix.addr, prefix.len) + " has host bits set (the network is " +
          with_len(mask(prefix.addr, prefix.len), prefix.len) + ")";
    return EINVAL;
  }
  if (!gateway && ifindex == 0) {
    err = "route " + prefix.to_string() + " needs a gateway (via) or a device (dev)";
    return EINVAL;
  }
  if (ifindex != 0 && devices_.find(ifindex) == devices_.end()) {
    err = "cannot find device \"" + dev_name(ifindex) + "\"";
    return ENODEV;
  }
  if (gateway) {
    if (gateway->family != f) {
      err = "gateway " + gateway->to_string() + " is not an " + family_name(f) + " address like " +
            prefix.to_string();
      return EINVAL;
    }
    if (gateway->is_unspecified() || gateway->is_multicast() || gateway->is_limited_broadcast()) {
      err = "gateway " + gateway->to_string() + " is not a unicast address";
      return EINVAL;
    }
    if (find_addr(*gateway) != nullptr) {
      err = "gateway " + gateway->to_string() + " is an address of ours";
      return EINVAL;
    }
    // An IPv6 link-local gateway is on-link on whatever device is named, as in Linux.
    if (!(f == Family::v6 && gateway->is_link_local() && ifindex != 0)) {
      const RouteRecord* c = connected_covering(*gateway, ifindex);
      if (c == nullptr) {
        err = "gateway " + gateway->to_string() + " is not on a connected network" +
              (ifindex != 0 ? " of " + dev_name(ifindex) : std::string(" of any device")) +
              " (add an address on its network first)";
        return ENETUNREACH;
      }
      ifindex = c->ifindex;
    }
  }
  auto& table = routes_of(f);
  const auto it = table.find(prefix);
  if (it != table.end()) {
    if (it->second.proto == RouteProto::kernel) {
      err = "route " + prefix.to_string() + " is the connected route of " + dev_name(it->second.ifindex) +
            " (it follows the address)";
      return EEXIST;
    }
    if (!replace) {
      err = "route " + prefix.to_string() + " exists (use \"route replace\" to change it)";
      return EEXIST;
    }
  } else if (table.size() >= limits_.routes) {
    err = "no room for route " + prefix.to_string() + ": inet.max_routes (" + std::to_string(limits_.routes) +
          ") " + family_name(f) + " routes are in use";
    return ENOSPC;
  }
  NextHopKey key{f, ifindex, gateway.has_value(), gateway.value_or(Addr{f, {}})};
  const uint32_t slot = acquire_nexthop(key, out);
  if (slot == 0) {
    err = "no room for another next hop (" + std::to_string(limits_.nexthops()) + " in use)";
    return ENOSPC;
  }
  RouteRecord r;
  r.prefix = prefix;
  r.proto = RouteProto::static_route;
  r.ifindex = ifindex;
  r.has_gateway = gateway.has_value();
  r.gateway = key.gateway;
  r.nh_slot = slot;
  install_route(std::move(r), out);
  return 0;
}

int MasterTables::del_route(const Prefix& prefix, std::string& err, Out& out) {
  auto& table = routes_of(prefix.addr.family);
  const auto it = table.find(prefix);
  if (it == table.end()) {
    err = "no route " + prefix.to_string();
    return ESRCH;
  }
  if (it->second.proto == RouteProto::kernel) {
    err = "route " + prefix.to_string() + " is the connected route of " + dev_name(it->second.ifindex) +
          ": it goes with the address";
    return EINVAL;
  }
  erase_route(it, out);
  return 0;
}

std::vector<RouteRecord> MasterTables::routes(Family f) const {
  std::vector<RouteRecord> out;
  for (const auto& [p, r] : routes_[family_index(f)]) out.push_back(r);
  // Like ip: the default route first, then by address and length.
  return out;
}

size_t MasterTables::route_count(Family f) const { return routes_[family_index(f)].size(); }

void MasterTables::set_forwarding(Family f, bool on, Out& out) {
  forwarding_[family_index(f)] = on;
  TableMsg m = make(TableOp::settings, f);
  m.flags = kSetForwarding;
  m.slot = on ? uint32_t{kSetForwarding} : 0u;
  out.push_back(m);
}

}  // namespace fulcrum::inet
