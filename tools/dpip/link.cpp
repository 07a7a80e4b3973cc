// dpip link: show links (with -s their counters, -s -s per queue) and set admin state, MTU, promisc.
// Output and errors follow iproute2's `ip link`.

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "fulcrum/ctrl/proto/netif.hpp"

namespace fulcrum::dpip {
namespace {

namespace msg = ctrl::netif_msg;

struct LinkList {
  std::vector<msg::LinkInfo> links;
  std::vector<msg::LinkStats> stats;
  std::vector<msg::QueueStats> queues;
  std::vector<msg::LinkInfo> others;  // every link, fetched to name a shown VLAN's parent
};

std::string field(const char* text, size_t size) { return std::string(text, strnlen(text, size)); }

std::string mac_text(const uint8_t* b) {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return out;
}

bool fill_name(char (&dst)[msg::kNameSize], const std::string& name) {
  if (name.empty() || name.size() >= msg::kNameSize) return false;
  std::memset(dst, 0, sizeof dst);
  std::memcpy(dst, name.data(), name.size());
  return true;
}

// Runs a request; ENODEV becomes iproute2's `Cannot find device` line.
int call(Context& ctx, ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, ctrl::CallReply& reply,
         const char* what) {
  reply = ctx.client.call(kind, id, payload, len);
  if (reply.status == 0) return 0;
  if (reply.status == ENODEV) return fail(reply.error_text());
  return fail(std::string(what) + ": " + reply.error_text());
}

int fetch(Context& ctx, const std::string& dev, LinkList& out) {
  msg::LinkQuery q{};
  if (!dev.empty() && !fill_name(q.name, dev)) return fail("cannot find device \"" + dev + "\"");
  q.with_stats = ctx.stats > 0;
  ctrl::CallReply reply;
  if (const int rc = call(ctx, ctrl::Kind::get, msg::kGetLinks, &q, sizeof q, reply, "link show")) return rc;
  msg::LinkListHead head;
  if (reply.payload.size() < sizeof head) return fail("link show: short reply from fulcrumd");
  std::memcpy(&head, reply.payload.data(), sizeof head);
  if (head.version != msg::kLinkListVersion) {
    return fail("link show: fulcrumd answers version " + std::to_string(head.version) + ", dpip knows " +
                std::to_string(msg::kLinkListVersion));
  }
  const size_t n_stats = q.with_stats ? head.link_count : 0;
  const size_t expected = sizeof head + head.link_count * sizeof(msg::LinkInfo) + n_stats * sizeof(msg::LinkStats) +
                          head.queue_count * sizeof(msg::QueueStats);
  if (reply.payload.size() != expected) return fail("link show: malformed reply from fulcrumd");
  const unsigned char* p = reply.payload.data() + sizeof head;
  out.links.resize(head.link_count);
  std::memcpy(out.links.data(), p, out.links.size() * sizeof(msg::LinkInfo));
  p += out.links.size() * sizeof(msg::LinkInfo);
  out.stats.resize(n_stats);
  std::memcpy(out.stats.data(), p, out.stats.size() * sizeof(msg::LinkStats));
  p += out.stats.size() * sizeof(msg::LinkStats);
  out.queues.resize(head.queue_count);
  std::memcpy(out.queues.data(), p, out.queues.size() * sizeof(msg::QueueStats));
  return 0;
}

std::string flags_text(const msg::LinkInfo& l) {
  std::string f = "BROADCAST,MULTICAST";
  if (l.promisc) f += ",PROMISC";
  if (l.admin_up) f += ",UP";
  if (l.admin_up && l.link_up) f += ",LOWER_UP";
  return f;
}

const char* state_text(const msg::LinkInfo& l) { return !l.admin_up ? "DOWN" : l.link_up ? "UP" : "LOWERLAYERDOWN"; }

uint64_t rx_dropped(const uint64_t* drops) {
  return drops[unsigned(msg::Drop::runt)] + drops[unsigned(msg::Drop::other_host)] +
         drops[unsigned(msg::Drop::unknown_ethertype)] + drops[unsigned(msg::Drop::vlan_unknown)];
}
uint64_t tx_dropped(const uint64_t* drops) {
  return drops[unsigned(msg::Drop::down)] + drops[unsigned(msg::Drop::tx_full)];
}

std::string drops_text(const uint64_t* drops) {
  std::string s;
  for (unsigned r = 0; r < msg::kDropReasons; ++r) {
    s += std::string(r ? " " : "") + msg::kDropNames[r] + " " + std::to_string(drops[r]);
  }
  return s;
}

nlohmann::json drops_json(const uint64_t* drops) {
  nlohmann::json j;
  for (unsigned r = 0; r < msg::kDropReasons; ++r) j[msg::kDropNames[r]] = drops[r];
  return j;
}

bool is_vlan(const msg::LinkInfo& l) { return l.kind == static_cast<uint8_t>(msg::LinkKind::vlan); }

// iproute2's "dpdk0.100@dpdk0" for a VLAN: its parent's name, or "if<N>" when the parent is not in the list.
std::string parent_name(const LinkList& list, const msg::LinkInfo& l) {
  for (const auto* links : {&list.links, &list.others}) {
    for (const auto& p : *links) {
      if (p.ifindex == l.parent_ifindex) return field(p.name, sizeof p.name);
    }
  }
  return "if" + std::to_string(l.parent_ifindex);
}

std::string display_name(const LinkList& list, const msg::LinkInfo& l) {
  const std::string name = field(l.name, sizeof l.name);
  return is_vlan(l) ? name + "@" + parent_name(list, l) : name;
}

void print_text(const Context& ctx, const LinkList& list) {
  for (size_t i = 0; i < list.links.size(); ++i) {
    const auto& l = list.links[i];
    std::printf("%u: %s: <%s> mtu %u state %s mode DEFAULT rxq %u txq %u driver %s", l.ifindex,
                display_name(list, l).c_str(), flags_text(l).c_str(), l.mtu, state_text(l), l.rx_queues,
                l.tx_queues, field(l.driver, sizeof l.driver).c_str());
    if (l.link_up && l.speed_mbps) std::printf(" speed %uMb/s", l.speed_mbps);
    std::printf("\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac_text(l.mac).c_str());
    if (is_vlan(l)) std::printf("    vlan protocol 802.1Q id %u\n", l.vlan_id);
    if (i >= list.stats.size()) continue;
    const auto& s = list.stats[i];
    std::printf("    RX:  %12s %10s %8s %8s %8s %8s\n", "bytes", "packets", "errors", "dropped", "missed", "nombuf");
    std::printf("         %12llu %10llu %8llu %8llu %8llu %8llu\n", (unsigned long long)s.rx_bytes,
                (unsigned long long)s.rx_packets, (unsigned long long)s.pmd_ierrors,
                (unsigned long long)rx_dropped(s.drops), (unsigned long long)s.pmd_imissed,
                (unsigned long long)s.pmd_rx_nombuf);
    std::printf("    TX:  %12s %10s %8s %8s\n", "bytes", "packets", "errors", "dropped");
    std::printf("         %12llu %10llu %8llu %8llu\n", (unsigned long long)s.tx_bytes, (unsigned long long)s.tx_packets,
                (unsigned long long)s.pmd_oerrors, (unsigned long long)tx_dropped(s.drops));
    std::printf("    drops: %s\n", drops_text(s.drops).c_str());
    if (ctx.stats < 2) continue;
    for (const auto& q : list.queues) {
      if (q.ifindex != l.ifindex) continue;
      const bool rx = q.direction == static_cast<uint8_t>(msg::Direction::rx);
      std::printf("    %s queue %u (lcore %u): packets %llu bytes %llu drops: %s\n", rx ? "rx" : "tx", q.queue, q.lcore,
                  (unsigned long long)q.packets, (unsigned long long)q.bytes, drops_text(q.drops).c_str());
    }
  }
}

void print_json(const Context& ctx, const LinkList& list) {
  auto out = nlohmann::json::array();
  for (size_t i = 0; i < list.links.size(); ++i) {
    const auto& l = list.links[i];
    nlohmann::json j{{"ifindex", l.ifindex},
                     {"ifname", field(l.name, sizeof l.name)},
                     {"flags", nlohmann::json::array()},
                     {"mtu", l.mtu},
                     {"operstate", state_text(l)},
                     {"link_type", "ether"},
                     {"address", mac_text(l.mac)},
                     {"broadcast", "ff:ff:ff:ff:ff:ff"},
                     {"promiscuity", l.promisc ? 1 : 0},
                     {"driver", field(l.driver, sizeof l.driver)},
                     {"port_id", l.port_id},
                     {"num_rx_queues", l.rx_queues},
                     {"num_tx_queues", l.tx_queues},
                     {"speed_mbps", l.speed_mbps}};
    if (is_vlan(l)) {
      j["link"] = parent_name(list, l);
      j["linkinfo"] = {{"info_kind", "vlan"}, {"info_data", {{"protocol", "802.1Q"}, {"id", l.vlan_id}}}};
    }
    std::string flags = flags_text(l);
    for (size_t pos = 0; pos <= flags.size();) {
      const size_t comma = std::min(flags.find(',', pos), flags.size());
      j["flags"].push_back(flags.substr(pos, comma - pos));
      pos = comma + 1;
    }
    if (i < list.stats.size()) {
      const auto& s = list.stats[i];
      j["stats64"] = {{"rx",
                       {{"bytes", s.rx_bytes}, {"packets", s.rx_packets}, {"errors", s.pmd_ierrors},
                        {"dropped", rx_dropped(s.drops)}, {"missed", s.pmd_imissed}, {"nombuf", s.pmd_rx_nombuf}}},
                      {"tx",
                       {{"bytes", s.tx_bytes}, {"packets", s.tx_packets}, {"errors", s.pmd_oerrors},
                        {"dropped", tx_dropped(s.drops)}}},
                      {"drops", drops_json(s.drops)}};
      if (ctx.stats >= 2) {
        auto queues = nlohmann::json::array();
        for (const auto& q : list.queues) {
          if (q.ifindex != l.ifindex) continue;
          queues.push_back({{"direction", q.direction == static_cast<uint8_t>(msg::Direction::rx) ? "rx" : "tx"},
                            {"queue", q.queue},
                            {"lcore", q.lcore},
                            {"packets", q.packets},
                            {"bytes", q.bytes},
                            {"drops", drops_json(q.drops)}});
        }
        j["stats64"]["queues"] = queues;
      }
    }
    out.push_back(j);
  }
  std::printf("%s\n", out.dump().c_str());
}

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
  if (const int rc = fetch(ctx, dev, list)) return rc;
  if (!dev.empty() && !list.links.empty() && is_vlan(list.links[0])) {
    Context plain{ctx.client, 0, false, ctx.family};
    LinkList all;
    if (fetch(plain, "", all) == 0) list.others = std::move(all.links);
  }
  if (ctx.json) {
    print_json(ctx, list);
  } else {
    print_text(ctx, list);
  }
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
