// dpip vlan: add, delete and show 802.1Q sub-interfaces at run time.
//   dpip vlan add NAME link PARENT id VID [address MAC]
//   dpip vlan del NAME
//   dpip vlan show [NAME]
// The words are DPVS's; `dev NAME` is accepted where ip would take it.

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "command.hpp"
#include "fulcrum/ctrl/proto/netif.hpp"
#include "link_list.hpp"

namespace fulcrum::dpip {
namespace {

namespace msg = ctrl::netif_msg;

bool parse_vid(const std::string& text, uint16_t& out) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long v = std::strtoul(text.c_str(), nullptr, 10);
  if (v < 1 || v > 4094) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool parse_mac(const std::string& text, uint8_t (&out)[6]) {
  unsigned b[6];
  char tail;
  if (text.size() != 17 ||
      std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(b[i]);
  return true;
}

int add(Context& ctx, Args args) {
  msg::VlanAdd req{};
  std::string name;
  std::string parent;
  bool has_id = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    const bool has_next = i + 1 < args.size();
    if (matches(w, "link")) {
      if (!has_next) return fail("vlan add: \"link\" needs the parent device");
      parent = args[++i];
    } else if (w == "id") {
      if (!has_next) return fail("vlan add: \"id\" needs a VLAN id");
      if (!parse_vid(args[i + 1], req.vlan_id)) {
        return fail("vlan add: invalid id \"" + args[i + 1] + "\" (a VLAN id is 1 to 4094)");
      }
      has_id = true;
      ++i;
    } else if (matches(w, "address")) {
      if (!has_next || !parse_mac(args[i + 1], req.mac)) {
        return fail("vlan add: invalid address \"" + (has_next ? args[i + 1] : std::string()) +
                    "\" (six hex bytes separated by ':')");
      }
      req.has_mac = 1;
      ++i;
    } else if (w == "dev" || w == "name") {
      if (!has_next) return fail("vlan add: \"" + w + "\" needs a device name");
      name = args[++i];
    } else if (name.empty()) {
      name = w;
    } else {
      return fail("vlan add: unknown argument \"" + w + "\" (expected link DEV, id VID or address MAC)");
    }
  }
  if (parent.empty()) return fail("vlan add: missing \"link PARENT\"");
  if (!has_id) return fail("vlan add: missing \"id VID\"");
  if (!name.empty() && !fill_name(req.name, name)) {
    return fail("vlan add: invalid name \"" + name + "\" (1 to 15 characters)");
  }
  if (!fill_name(req.parent, parent)) return fail("cannot find device \"" + parent + "\"");
  ctrl::CallReply reply;
  return call(ctx, ctrl::Kind::set, msg::kAddVlan, &req, sizeof req, reply, "vlan add");
}

int del(Context& ctx, Args args) {
  std::string name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "dev") {
      if (++i == args.size()) return fail("vlan del: \"dev\" needs a device name");
    }
    if (!name.empty()) return fail("vlan del: unexpected argument \"" + args[i] + "\"");
    name = args[i];
  }
  if (name.empty()) return fail("vlan del: missing the VLAN's name");
  msg::VlanDel req{};
  if (!fill_name(req.name, name)) return fail("cannot find device \"" + name + "\"");
  ctrl::CallReply reply;
  return call(ctx, ctrl::Kind::set, msg::kDelVlan, &req, sizeof req, reply, "vlan del");
}

int show(Context& ctx, Args args) {
  std::string name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "dev") {
      if (++i == args.size()) return fail("vlan show: \"dev\" needs a device name");
    }
    if (!name.empty()) return fail("vlan show: unexpected argument \"" + args[i] + "\"");
    name = args[i];
  }
  LinkList list;
  if (const int rc = fetch_links(ctx, name, list)) return rc;
  if (!name.empty() && !list.links.empty() && list.links[0].kind != static_cast<uint8_t>(msg::LinkKind::vlan)) {
    return fail("vlan show: \"" + name + "\" is not a VLAN");
  }
  // Keep every link for naming parents, show only the VLANs.
  if (list.others.empty()) list.others = list.links;
  LinkList vlans;
  vlans.others = list.others;
  for (size_t i = 0; i < list.links.size(); ++i) {
    if (list.links[i].kind != static_cast<uint8_t>(msg::LinkKind::vlan)) continue;
    vlans.links.push_back(list.links[i]);
    if (i < list.stats.size()) vlans.stats.push_back(list.stats[i]);
  }
  print_links(ctx, vlans);
  return 0;
}

}  // namespace

int run_vlan(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    return show(ctx, args.empty() ? args : args.subspan(1));
  }
  if (matches(args[0], "add")) return add(ctx, args.subspan(1));
  if (matches(args[0], "delete")) return del(ctx, args.subspan(1));
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip vlan add [name] NAME link PARENT id VID [address MAC]\n"
        "       dpip vlan del NAME\n"
        "       dpip [-s] [-j] vlan [show] [NAME]\n");
    return 0;
  }
  return fail("vlan: unknown command \"" + args[0] + "\" (try \"dpip vlan help\")");
}

}  // namespace fulcrum::dpip
