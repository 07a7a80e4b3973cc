// dpip link: show links (with -s their counters, -s -s per queue) and set admin state, MTU, promisc.
// Output and errors follow iproute2's `ip link`.

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "fulcrum/ctrl/proto/netif.hpp"
#include "link_list.hpp"

namespace fulcrum::dpip {
namespace {

namespace msg = ctrl::netif_msg;

int show(Context& ctx, Args args) {
  std::string dev;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "dev") {
      if (++i == args.size()) return fail("link show: \"dev\" needs a device name");
    }
    if (!dev.empty()) return fail("link show: unexpected argument \"" + args[i] + "\"");
    dev = args[i];
  }
  LinkList list;
  if (const int rc = fetch_links(ctx, dev, list)) return rc;
  print_links(ctx, list);
  return 0;
}

bool parse_on_off(const std::string& word, uint8_t& out) {
  if (word == "on") {
    out = 1;
  } else if (word == "off") {
    out = 0;
  } else {
    return false;
  }
  return true;
}

int set(Context& ctx, Args args) {
  msg::LinkSet req{};
  std::string dev;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    const bool has_next = i + 1 < args.size();
    if (w == "dev") {
      if (!has_next) return fail("link set: \"dev\" needs a device name");
      dev = args[++i];
    } else if (w == "up" || w == "down") {
      req.mask |= msg::set_admin;
      req.admin_up = w == "up";
    } else if (w == "mtu") {
      if (!has_next) return fail("link set: \"mtu\" needs a value");
      const std::string& v = args[++i];
      char* end = nullptr;
      errno = 0;
      const unsigned long mtu = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || mtu > UINT32_MAX || v[0] == '-') {
        return fail("link set: invalid mtu \"" + v + "\" (a number of bytes)");
      }
      req.mask |= msg::set_mtu;
      req.mtu = static_cast<uint32_t>(mtu);
    } else if (w == "promisc") {
      if (!has_next || !parse_on_off(args[i + 1], req.promisc)) {
        return fail("link set: \"promisc\" needs \"on\" or \"off\"" + (has_next ? ", not \"" + args[i + 1] + "\"" : ""));
      }
      ++i;
      req.mask |= msg::set_promisc;
    } else if (dev.empty()) {
      dev = w;  // `ip link set DEV up` works without "dev" too
    } else {
      return fail("link set: unknown argument \"" + w + "\" (expected up, down, mtu N or promisc on|off)");
    }
  }
  if (dev.empty()) return fail("link set: missing \"dev DEVICE\"");
  if (req.mask == 0) return fail("link set: nothing to change (up, down, mtu N or promisc on|off)");
  if (!fill_name(req.name, dev)) return fail("cannot find device \"" + dev + "\"");
  ctrl::CallReply reply;
  return call(ctx, ctrl::Kind::set, msg::kSetLink, &req, sizeof req, reply, "link set");
}

}  // namespace

int run_link(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    return show(ctx, args.empty() ? args : args.subspan(1));
  }
  if (matches(args[0], "set")) return set(ctx, args.subspan(1));
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip [-s [-s]] [-j] link [show] [[dev] DEVICE]\n"
        "       dpip link set [dev] DEVICE { up | down | mtu MTU | promisc { on | off } } ...\n");
    return 0;
  }
  return fail("link: unknown command \"" + args[0] + "\" (try \"dpip link help\")");
}

}  // namespace fulcrum::dpip
