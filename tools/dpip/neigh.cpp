// dpip neigh: the ARP and ND entries the master keeps (the workers hold copies of those with a MAC), static
// entries, flush. Follows iproute2's `ip neighbour`.

#include <nlohmann/json.hpp>

#include "inet_common.hpp"

namespace fulcrum::dpip {
namespace {

using namespace inet;

const char* state_word(uint8_t s) {
  return s < sizeof msg::kNeighStateNames / sizeof msg::kNeighStateNames[0] ? msg::kNeighStateNames[s] : "NONE";
}

bool device_arg(Args args, size_t& i, std::string& dev, const char* what) {
  if (args[i] == "dev") return next_value(args, i, dev, what);
  return false;
}

int show(Context& ctx, Args args, bool flush) {
  const char* what = flush ? "neigh flush" : "neigh show";
  msg::NeighQuery q{};
  q.family = static_cast<uint8_t>(ctx.family);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string dev = args[i];
    if (args[i] == "dev" && !device_arg(args, i, dev, what)) return 1;
    if (!fill_name(q.ifname, dev)) return fail("cannot find device \"" + dev + "\"");
  }
  ctrl::CallReply reply = ctx.client.call(flush ? ctrl::Kind::set : ctrl::Kind::get,
                                          flush ? msg::kFlushNeighs : msg::kGetNeighs, &q, sizeof q);
  if (reply.status == ENODEV) return fail(reply.error_text());
  if (reply.status != 0) return fail(std::string(what) + ": " + reply.error_text());
  if (flush) return 0;
  std::vector<msg::NeighInfo> list;
  if (!parse_list(reply, list, what)) return 1;
  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& n : list) {
      nlohmann::json j{{"dst", address_text(n.family, n.addr)},
                       {"dev", name_text(n.ifname)},
                       {"state", nlohmann::json::array({state_word(n.state)})}};
      if (n.has_mac) j["lladdr"] = mac_text(n.mac);
      if (ctx.stats > 0) {
        j["updated_ms_ago"] = n.updated_ms_ago;
        j["probes"] = n.probes;
      }
      out.push_back(j);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (const auto& n : list) {
    std::string line = address_text(n.family, n.addr) + " dev " + name_text(n.ifname);
    if (n.has_mac) line += " lladdr " + mac_text(n.mac);
    if (ctx.stats > 0) line += " updated " + std::to_string(n.updated_ms_ago / 1000) + "s ago probes " + std::to_string(n.probes);
    line += std::string(" ") + state_word(n.state);
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int change(Context& ctx, Args args, bool add) {
  const char* what = add ? "neigh add" : "neigh del";
  msg::NeighSet req{};
  std::string dev;
  std::string addr_word;
  bool have_mac = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    std::string v;
    if (w == "dev") {
      if (!next_value(args, i, dev, what)) return 1;
    } else if (w == "lladdr" && add) {
      if (!next_value(args, i, v, what)) return 1;
      const auto mac = parse_mac(v);
      if (!mac) return fail(std::string(what) + ": lladdr \"" + v + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
      std::memcpy(req.mac, mac->data(), sizeof req.mac);
      have_mac = true;
    } else if (w == "nud" && add) {
      if (!next_value(args, i, v, what)) return 1;
      if (v != "permanent") return fail(std::string(what) + ": nud \"" + v + "\": only permanent entries can be added");
    } else if (w == "to" && i + 1 < args.size()) {
      continue;
    } else if (addr_word.empty()) {
      addr_word = w;
    } else {
      return fail(std::string(what) + ": unknown argument \"" + w + "\" (expected lladdr MAC or dev DEVICE)");
    }
  }
  if (addr_word.empty()) return fail(std::string(what) + ": missing ADDRESS");
  const auto a = parse_address(addr_word, ctx.family);
  if (!a) return fail(std::string(what) + ": \"" + addr_word + "\" is not an address");
  if (add && !have_mac) return fail(std::string(what) + ": missing \"lladdr MAC\"");
  if (dev.empty()) return fail(std::string(what) + ": missing \"dev DEVICE\"");
  if (!fill_name(req.ifname, dev)) return fail("cannot find device \"" + dev + "\"");
  req.family = a->family;
  std::memcpy(req.addr, a->bytes, sizeof req.addr);
  ctrl::CallReply reply = ctx.client.call(ctrl::Kind::set, add ? msg::kAddNeigh : msg::kDelNeigh, &req, sizeof req);
  if (reply.status == 0) return 0;
  if (reply.status == ENODEV) return fail(reply.error_text());
  return fail(std::string(what) + ": " + reply.error_text());
}

}  // namespace

int run_neigh(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    return show(ctx, args.empty() ? args : args.subspan(1), false);
  }
  if (matches(args[0], "add")) return change(ctx, args.subspan(1), true);
  if (matches(args[0], "delete")) return change(ctx, args.subspan(1), false);
  if (matches(args[0], "flush")) return show(ctx, args.subspan(1), true);
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip [-4|-6] [-s] [-j] neigh [show] [[dev] DEVICE]\n"
        "       dpip neigh add ADDRESS lladdr MAC dev DEVICE [ nud permanent ]\n"
        "       dpip neigh del ADDRESS dev DEVICE\n"
        "       dpip [-4|-6] neigh flush [[dev] DEVICE]      (every entry but the permanent ones)\n");
    return 0;
  }
  return fail("neigh: unknown command \"" + args[0] + "\" (try \"dpip neigh help\")");
}

}  // namespace fulcrum::dpip
