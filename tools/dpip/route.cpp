// dpip route: the routes of one family (IPv4 unless -6, as ip), static routes added and removed, and
// `route get`, which every worker answers from its own copy of the tables. Follows iproute2's `ip route`.

#include <nlohmann/json.hpp>

#include "inet_common.hpp"

namespace fulcrum::dpip {
namespace {

using namespace inet;

const char* proto_word(uint8_t proto) {
  return proto == static_cast<uint8_t>(msg::RouteProto::kernel) ? "kernel" : "static";
}

int show(Context& ctx, Args args) {
  if (!args.empty()) return fail("route show: unexpected argument \"" + args[0] + "\"");
  msg::RouteQuery q{};
  q.family = static_cast<uint8_t>(ctx.family == 6 ? 6 : 4);
  ctrl::CallReply reply;
  if (!request(ctx, ctrl::Kind::get, msg::kGetRoutes, &q, sizeof q, reply, "route show")) return 1;
  std::vector<msg::RouteInfo> list;
  if (!parse_list(reply, list, "route show")) return 1;
  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& r : list) {
      nlohmann::json j{{"dst", prefix_text(r.family, r.dst, r.plen)},
                       {"dev", name_text(r.ifname)},
                       {"protocol", proto_word(r.proto)},
                       {"flags", nlohmann::json::array()}};
      if (r.has_gateway) j["gateway"] = address_text(r.family, r.gateway);
      if (r.proto == static_cast<uint8_t>(msg::RouteProto::kernel)) j["scope"] = "link";
      if (r.has_prefsrc) j["prefsrc"] = address_text(r.family, r.prefsrc);
      out.push_back(j);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (const auto& r : list) {
    std::string line = prefix_text(r.family, r.dst, r.plen);
    if (r.has_gateway) line += " via " + address_text(r.family, r.gateway);
    line += " dev " + name_text(r.ifname) + " proto " + proto_word(r.proto);
    if (r.proto == static_cast<uint8_t>(msg::RouteProto::kernel)) line += " scope link";
    if (r.has_prefsrc) line += " src " + address_text(r.family, r.prefsrc);
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int change(Context& ctx, Args args, const char* what, uint32_t id, bool replace) {
  const bool del = id == msg::kDelRoute;
  msg::RouteSet req{};
  req.replace = replace;
  std::optional<PrefixArg> dst;
  std::string dst_word;
  std::string via;
  std::string dev;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "via") {
      if (!next_value(args, i, via, what)) return 1;
    } else if (w == "dev") {
      if (!next_value(args, i, dev, what)) return 1;
    } else if (w == "to" && i + 1 < args.size()) {
      continue;  // `ip route add to PREFIX`
    } else if (dst_word.empty()) {
      dst_word = w;
    } else {
      return fail(std::string(what) + ": unknown argument \"" + w + "\" (expected via GATEWAY or dev DEVICE)");
    }
  }
  if (dst_word.empty()) return fail(std::string(what) + ": missing PREFIX (or default)");
  int family = ctx.family;
  if (!via.empty()) {
    const auto gw = parse_address(via, family);
    if (!gw) {
      return fail(std::string(what) + ": gateway \"" + via + "\" is not " +
                  (family ? std::string("an ") + family_word(family) + " address" : "an address"));
    }
    req.has_gateway = 1;
    std::memcpy(req.gateway, gw->bytes, sizeof req.gateway);
    family = gw->family;
  }
  dst = parse_prefix(dst_word, family);
  if (!dst && !via.empty() && parse_prefix(dst_word, 0)) {
    return fail(std::string(what) + ": \"" + dst_word + "\" and gateway \"" + via + "\" are not of one family (" +
                family_word(family) + " gateway)");
  }
  if (!dst) {
    return fail(std::string(what) + ": \"" + dst_word + "\" is not " +
                (family ? std::string("an ") + family_word(family) + " prefix" : "a prefix") + " (PREFIX/LEN or default)");
  }
  if (!del && via.empty() && dev.empty()) return fail(std::string(what) + ": needs \"via GATEWAY\" or \"dev DEVICE\"");
  if (!dev.empty() && !fill_name(req.ifname, dev)) return fail("cannot find device \"" + dev + "\"");
  req.family = dst->addr.family;
  req.plen = dst->len;
  std::memcpy(req.dst, dst->addr.bytes, sizeof req.dst);
  ctrl::CallReply reply = ctx.client.call(ctrl::Kind::set, id, &req, sizeof req);
  if (reply.status == 0) return 0;
  if (reply.status == ENODEV) return fail(reply.error_text());
  return fail(std::string(what) + ": " + reply.error_text());
}

int get(Context& ctx, Args args) {
  std::string word;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "to") continue;
    if (!word.empty()) return fail("route get: unexpected argument \"" + args[i] + "\"");
    word = args[i];
  }
  if (word.empty()) return fail("route get: missing ADDRESS");
  const auto a = parse_address(word, ctx.family);
  if (!a) return fail("route get: \"" + word + "\" is not an address");
  msg::RouteGetQuery q{};
  q.family = a->family;
  std::memcpy(q.addr, a->bytes, sizeof q.addr);
  ctrl::CallReply reply;
  if (!request(ctx, ctrl::Kind::get, msg::kRouteGet, &q, sizeof q, reply, "route get")) return 1;
  std::vector<msg::RouteGetResult> results;
  if (!parse_list(reply, results, "route get")) return 1;
  const std::string target = address_text(a->family, a->bytes);
  int rc = 0;
  auto out = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json j{{"dst", target}, {"lcore", r.lcore}};
    std::string line;
    switch (static_cast<msg::RouteGetKind>(r.kind)) {
      case msg::RouteGetKind::local:
        j["type"] = "local";
        j["dev"] = name_text(r.ifname);
        line = "local " + target + " dev " + name_text(r.ifname);
        if (r.addr_flags & msg::addr_vip) line += " vip";
        if (r.addr_flags & msg::addr_fnat_local) line += " fnat-local";
        j["vip"] = (r.addr_flags & msg::addr_vip) != 0;
        j["fnat_local"] = (r.addr_flags & msg::addr_fnat_local) != 0;
        break;
      case msg::RouteGetKind::unicast:
        j["type"] = "unicast";
        j["dev"] = name_text(r.ifname);
        j["mtu"] = r.mtu;
        line = target;
        if (r.has_gateway) {
          j["gateway"] = address_text(a->family, r.gateway);
          line += " via " + address_text(a->family, r.gateway);
        }
        line += " dev " + name_text(r.ifname);
        if (r.has_prefsrc) {
          j["prefsrc"] = address_text(a->family, r.prefsrc);
          line += " src " + address_text(a->family, r.prefsrc);
        }
        line += " mtu " + std::to_string(r.mtu);
        break;
      default:
        j["type"] = "unreachable";
        line = "unreachable " + target;
        rc = 1;
        break;
    }
    out.push_back(j);
    if (!ctx.json) std::printf("%s lcore %u\n", line.c_str(), r.lcore);
  }
  if (ctx.json) std::printf("%s\n", out.dump().c_str());
  if (rc != 0 && !ctx.json) std::fprintf(stderr, "dpip: route get: %s: network unreachable\n", target.c_str());
  return rc;
}

}  // namespace

int run_route(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    return show(ctx, args.empty() ? args : args.subspan(1));
  }
  if (matches(args[0], "add")) return change(ctx, args.subspan(1), "route add", msg::kAddRoute, false);
  if (matches(args[0], "replace")) return change(ctx, args.subspan(1), "route replace", msg::kAddRoute, true);
  if (matches(args[0], "delete")) return change(ctx, args.subspan(1), "route del", msg::kDelRoute, false);
  if (matches(args[0], "get")) return get(ctx, args.subspan(1));
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip [-4|-6] [-j] route [show]\n"
        "       dpip route { add | replace } { PREFIX | default } [ via GATEWAY ] [ dev DEVICE ]\n"
        "       dpip route del { PREFIX | default }\n"
        "       dpip route get ADDRESS      (each worker answers from its own tables)\n");
    return 0;
  }
  return fail("route: unknown command \"" + args[0] + "\" (try \"dpip route help\")");
}

}  // namespace fulcrum::dpip
