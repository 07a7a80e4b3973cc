// inet_msg::kGetAddrs, kAddAddr, kDelAddr: `dpip addr show|add|del`.

#include "ctrl_util.hpp"

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;
using namespace ctrl_util;

int get_addrs(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::AddrQuery>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(q.family, true, f, out, rc) || !device_field(c, q.ifname, false, dev, out, rc)) return rc;
  std::vector<msg::AddrInfo> list;
  for (const auto& a : c.tables().addresses()) {
    if ((f && a.addr.family != *f) || (dev != 0 && a.ifindex != dev)) continue;
    msg::AddrInfo info{};
    info.family = static_cast<uint8_t>(a.addr.family);
    info.plen = a.plen;
    info.ifindex = a.ifindex;
    info.flags = a.flags;
    std::memcpy(info.addr, a.addr.data(), sizeof info.addr);
    set_name(info.ifname, c.dev_name(a.ifindex));
    list.push_back(info);
  }
  append_head(out.payload, list.size());
  append(out.payload, list.data(), list.size());
  return 0;
}

int set_addr(InetControl& c, bool add, const ctrl::Request& in, ctrl::Response& out) {
  const auto req = read<msg::AddrSet>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(req.family, false, f, out, rc) || !device_field(c, req.ifname, true, dev, out, rc)) return rc;
  const Addr a = Addr::from_bytes(*f, req.addr);
  std::string err;
  rc = add ? c.add_addr(a, req.plen, dev, req.flags, err) : c.del_addr(a, req.plen, dev, err);
  return rc == 0 ? 0 : fail(out, rc, err);
}

}  // namespace

void register_addr_handlers(ctrl::Registry& registry, InetControl& c) {
  registry.add("inet", {ctrl::Kind::get, msg::kGetAddrs, "inet.addrs", sizeof(msg::AddrQuery), sizeof(msg::AddrQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return get_addrs(c, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kAddAddr, "inet.addr_add", sizeof(msg::AddrSet), sizeof(msg::AddrSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_addr(c, true, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kDelAddr, "inet.addr_del", sizeof(msg::AddrSet), sizeof(msg::AddrSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_addr(c, false, in, out); }});
}

}  // namespace fulcrum::inet
