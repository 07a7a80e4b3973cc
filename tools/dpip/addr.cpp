// dpip addr: IPv4 and IPv6 addresses per device, with the VIP and FullNAT-local flags of the ipvs layer.
// Output and errors follow iproute2's `ip address`.

#include <map>

#include <nlohmann/json.hpp>

#include "inet_common.hpp"

namespace fulcrum::dpip {
namespace {

using namespace inet;

std::vector<std::string> flag_words(uint32_t flags) {
  std::vector<std::string> out;
  if (flags & msg::addr_vip) out.emplace_back("vip");
  if (flags & msg::addr_fnat_local) out.emplace_back("fnat-local");
  return out;
}

// IPv4's broadcast address, as ip shows it for networks that have one.
std::optional<std::string> broadcast(const msg::AddrInfo& a) {
  if (a.family != 4 || a.plen >= 31) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, a.addr, 4);
  v = htonl(ntohl(v) | (a.plen == 0 ? 0xffffffffu : (0xffffffffu >> a.plen)));
  return address_text(4, reinterpret_cast<const uint8_t*>(&v));
}

const char* scope(const msg::AddrInfo& a) {
  if (a.family == 6 && a.addr[0] == 0xfe && (a.addr[1] & 0xc0) == 0x80) return "link";
  return "global";
}

int show(Context& ctx, Args args) {
  msg::AddrQuery q{};
  q.family = static_cast<uint8_t>(ctx.family);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string dev = args[i];
    if (args[i] == "dev" && !next_value(args, i, dev, "addr show")) return 1;
    if (!fill_name(q.ifname, dev)) return fail("cannot find device \"" + dev + "\"");
  }
  ctrl::CallReply reply;
  reply = ctx.client.call(ctrl::Kind::get, msg::kGetAddrs, &q, sizeof q);
  if (reply.status == ENODEV) return fail(reply.error_text());
  if (reply.status != 0) return fail("addr show: " + reply.error_text());
  std::vector<msg::AddrInfo> list;
  if (!parse_list(reply, list, "addr show")) return 1;

  std::map<uint16_t, std::vector<const msg::AddrInfo*>> by_dev;
  for (const auto& a : list) by_dev[a.ifindex].push_back(&a);
  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& [ifindex, addrs] : by_dev) {
      nlohmann::json dev{{"ifindex", ifindex}, {"ifname", name_text(addrs[0]->ifname)}, {"addr_info", nlohmann::json::array()}};
      for (const auto* a : addrs) {
        nlohmann::json j{{"family", a->family == 4 ? "inet" : "inet6"},
                         {"local", address_text(a->family, a->addr)},
                         {"prefixlen", a->plen},
                         {"scope", scope(*a)},
                         {"label", name_text(a->ifname)},
                         {"flags", flag_words(a->flags)}};
        if (const auto brd = broadcast(*a)) j["broadcast"] = *brd;
        dev["addr_info"].push_back(j);
      }
      out.push_back(dev);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (const auto& [ifindex, addrs] : by_dev) {
    std::printf("%u: %s:\n", ifindex, name_text(addrs[0]->ifname).c_str());
    for (const auto* a : addrs) {
      std::string line = std::string("    ") + (a->family == 4 ? "inet " : "inet6 ") + address_text(a->family, a->addr) +
                         "/" + std::to_string(a->plen);
      if (const auto brd = broadcast(*a)) line += " brd " + *brd;
      line += std::string(" scope ") + scope(*a);
      for (const auto& f : flag_words(a->flags)) line += " " + f;
      if (a->family == 4) line += " " + name_text(a->ifname);
      std::printf("%s\n", line.c_str());
    }
  }
  return 0;
}

int change(Context& ctx, Args args, bool add) {
  const char* what = add ? "addr add" : "addr del";
  msg::AddrSet req{};
  std::string dev;
  std::optional<PrefixArg> prefix;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "dev") {
      if (!next_value(args, i, dev, what)) return 1;
    } else if (w == "vip" && add) {
      req.flags |= msg::addr_vip;
    } else if (w == "fnat-local" && add) {
      req.flags |= msg::addr_fnat_local;
    } else if (w == "local" && i + 1 < args.size()) {
      continue;  // `ip addr add local ADDR`: the keyword is optional
    } else if (!prefix) {
      prefix = parse_prefix(w, ctx.family);
      if (!prefix || w == "default" || w == "all" || w == "any") {
        return fail(std::string(what) + ": \"" + w + "\" is not " +
                    (ctx.family ? std::string("an ") + family_word(ctx.family) + " address" : "an address") +
                    " (ADDRESS[/LEN])");
      }
    } else {
      return fail(std::string(what) + ": unknown argument \"" + w + "\" (expected dev DEVICE" +
                  (add ? ", vip or fnat-local)" : ")"));
    }
  }
  if (!prefix) return fail(std::string(what) + ": missing ADDRESS[/LEN]");
  if (dev.empty()) return fail(std::string(what) + ": missing \"dev DEVICE\"");
  if (!fill_name(req.ifname, dev)) return fail("cannot find device \"" + dev + "\"");
  req.family = prefix->addr.family;
  std::memcpy(req.addr, prefix->addr.bytes, sizeof req.addr);
  // Without /LEN, ip adds a host address and deletes whatever length the address has.
  req.plen = add || prefix->has_len ? prefix->len : 0xff;
  ctrl::CallReply reply = ctx.client.call(ctrl::Kind::set, add ? msg::kAddAddr : msg::kDelAddr, &req, sizeof req);
  if (reply.status == 0) return 0;
  if (reply.status == ENODEV) return fail(reply.error_text());
  return fail(std::string(what) + ": " + reply.error_text());
}

}  // namespace

int run_addr(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    return show(ctx, args.empty() ? args : args.subspan(1));
  }
  if (matches(args[0], "add")) return change(ctx, args.subspan(1), true);
  if (matches(args[0], "delete")) return change(ctx, args.subspan(1), false);
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip [-4|-6] [-j] addr [show] [[dev] DEVICE]\n"
        "       dpip addr { add | del } ADDRESS[/LEN] dev DEVICE [ vip ] [ fnat-local ]\n"
        "  vip: a virtual service address; fnat-local: a FullNAT local address (both for ipvs)\n");
    return 0;
  }
  return fail("addr: unknown command \"" + args[0] + "\" (try \"dpip addr help\")");
}

}  // namespace fulcrum::dpip
