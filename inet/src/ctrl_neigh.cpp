// inet_msg::kGetNeighs, kAddNeigh, kDelNeigh, kFlushNeighs: `dpip neigh show|add|del|flush`.

#include "ctrl_util.hpp"

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;
using namespace ctrl_util;

int get_neighs(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::NeighQuery>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(q.family, true, f, out, rc) || !device_field(c, q.ifname, false, dev, out, rc)) return rc;
  const uint32_t now = c.neigh().now();
  const uint32_t tick_us = c.inet().runtime().config().timer_tick_us;
  std::vector<msg::NeighInfo> list;
  for (const auto& n : c.neigh().list()) {
    if ((f && n.key.family != *f) || (dev != 0 && n.key.ifindex != dev)) continue;
    msg::NeighInfo info{};
    info.family = static_cast<uint8_t>(n.key.family);
    info.state = static_cast<uint8_t>(n.state);
    info.ifindex = n.key.ifindex;
    info.has_mac = n.has_mac;
    info.probes = n.probes;
    info.updated_ms_ago = static_cast<uint32_t>(static_cast<uint64_t>(now - n.updated_tick) * tick_us / 1000);
    std::memcpy(info.addr, n.key.addr.data(), sizeof info.addr);
    std::memcpy(info.mac, n.mac.data(), sizeof info.mac);
    set_name(info.ifname, c.dev_name(n.key.ifindex));
    list.push_back(info);
  }
  append_head(out.payload, list.size());
  append(out.payload, list.data(), list.size());
  return 0;
}

int set_neigh(InetControl& c, bool add, const ctrl::Request& in, ctrl::Response& out) {
  const auto req = read<msg::NeighSet>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(req.family, false, f, out, rc) || !device_field(c, req.ifname, true, dev, out, rc)) return rc;
  const NeighKey key = NeighKey::of(*f, dev, req.addr);
  std::string err;
  if (add) {
    Mac mac;
    std::memcpy(mac.data(), req.mac, mac.size());
    rc = c.add_neigh(key, mac, err);
  } else {
    rc = c.del_neigh(key, err);
  }
  return rc == 0 ? 0 : fail(out, rc, err);
}

int flush_neighs(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::NeighQuery>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(q.family, true, f, out, rc) || !device_field(c, q.ifname, false, dev, out, rc)) return rc;
  std::string err;
  rc = c.flush_neigh(f, dev, err);
  return rc == 0 ? 0 : fail(out, rc, err);
}

}  // namespace

void register_neigh_handlers(ctrl::Registry& registry, InetControl& c) {
  registry.add("inet", {ctrl::Kind::get, msg::kGetNeighs, "inet.neighs", sizeof(msg::NeighQuery),
                        sizeof(msg::NeighQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return get_neighs(c, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kAddNeigh, "inet.neigh_add", sizeof(msg::NeighSet), sizeof(msg::NeighSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_neigh(c, true, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kDelNeigh, "inet.neigh_del", sizeof(msg::NeighSet), sizeof(msg::NeighSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_neigh(c, false, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kFlushNeighs, "inet.neigh_flush", sizeof(msg::NeighQuery),
                        sizeof(msg::NeighQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return flush_neighs(c, in, out); }});
}

}  // namespace fulcrum::inet
