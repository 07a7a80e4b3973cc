// inet_msg::kGetRoutes, kAddRoute, kDelRoute, kRouteGet: `dpip route show|add|replace|del|get`.

#include "ctrl_util.hpp"

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;
using namespace ctrl_util;

int get_routes(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::RouteQuery>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(q.family, true, f, out, rc)) return rc;
  std::vector<msg::RouteInfo> list;
  for (Family fam : {Family::v4, Family::v6}) {
    if (f && fam != *f) continue;
    for (const auto& r : c.tables().routes(fam)) {
      msg::RouteInfo info{};
      info.family = static_cast<uint8_t>(fam);
      info.plen = r.prefix.len;
      info.proto = static_cast<uint8_t>(r.proto);
      info.has_gateway = r.has_gateway;
      info.ifindex = r.ifindex;
      std::memcpy(info.dst, r.prefix.addr.data(), sizeof info.dst);
      std::memcpy(info.gateway, r.gateway.data(), sizeof info.gateway);
      if (r.prefsrc) {
        info.has_prefsrc = 1;
        std::memcpy(info.prefsrc, r.prefsrc->data(), sizeof info.prefsrc);
      }
      set_name(info.ifname, c.dev_name(r.ifindex));
      list.push_back(info);
    }
  }
  append_head(out.payload, list.size());
  append(out.payload, list.data(), list.size());
  return 0;
}

int set_route(InetControl& c, bool add, const ctrl::Request& in, ctrl::Response& out) {
  const auto req = read<msg::RouteSet>(in);
  std::optional<Family> f;
  Ifindex dev = 0;
  int rc = 0;
  if (!family_field(req.family, false, f, out, rc)) return rc;
  if (req.plen > max_prefix_len(*f)) {
    return fail(out, EINVAL, "prefix length " + std::to_string(req.plen) + " is out of range for " +
                                 family_name(*f) + " (0 to " + std::to_string(max_prefix_len(*f)) + ")");
  }
  const Prefix p{Addr::from_bytes(*f, req.dst), req.plen};
  std::string err;
  if (!add) {
    rc = c.del_route(p, err);
    return rc == 0 ? 0 : fail(out, rc, err);
  }
  if (!device_field(c, req.ifname, false, dev, out, rc)) return rc;
  const std::optional<Addr> gw = req.has_gateway ? std::optional<Addr>(Addr::from_bytes(*f, req.gateway)) : std::nullopt;
  rc = c.add_route(p, gw, dev, req.replace != 0, err);
  return rc == 0 ? 0 : fail(out, rc, err);
}

int route_get(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::RouteGetQuery>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(q.family, false, f, out, rc)) return rc;
  std::vector<msg::RouteGetResult> results;
  std::string err;
  rc = c.route_get(Addr::from_bytes(*f, q.addr), results, err);
  if (rc != 0) return fail(out, rc, "route get: " + err);
  for (auto& r : results) set_name(r.ifname, r.ifindex != 0 ? c.dev_name(r.ifindex) : std::string());
  append_head(out.payload, results.size());
  append(out.payload, results.data(), results.size());
  return 0;
}

}  // namespace

void register_route_handlers(ctrl::Registry& registry, InetControl& c) {
  registry.add("inet", {ctrl::Kind::get, msg::kGetRoutes, "inet.routes", sizeof(msg::RouteQuery),
                        sizeof(msg::RouteQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return get_routes(c, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kAddRoute, "inet.route_add", sizeof(msg::RouteSet), sizeof(msg::RouteSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_route(c, true, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kDelRoute, "inet.route_del", sizeof(msg::RouteSet), sizeof(msg::RouteSet),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_route(c, false, in, out); }});
  registry.add("inet", {ctrl::Kind::get, msg::kRouteGet, "inet.route_get", sizeof(msg::RouteGetQuery),
                        sizeof(msg::RouteGetQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return route_get(c, in, out); }});
}

}  // namespace fulcrum::inet
