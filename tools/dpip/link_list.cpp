// Fetching and printing links, shared by `dpip link` and `dpip vlan`. Output follows iproute2's `ip link`.

#include "link_list.hpp"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace fulcrum::dpip {

namespace msg = ctrl::netif_msg;

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

static int fetch_raw(Context& ctx, const std::string& dev, LinkList& out) {
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
  // An empty vector's data() may be null, and memcpy from or to null is undefined even for 0 bytes.
  const auto take = [&p](auto& records, size_t n) {
    records.resize(n);
    if (n == 0) return;
    std::memcpy(records.data(), p, n * sizeof records[0]);
    p += n * sizeof records[0];
  };
  take(out.links, head.link_count);
  take(out.stats, n_stats);
  take(out.queues, head.queue_count);
  return 0;
}


namespace {

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
  return drops[unsigned(msg::Drop::down)] + drops[unsigned(msg::Drop::tx_full)] +
         drops[unsigned(msg::Drop::kni_none)];
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

bool is(const msg::LinkInfo& l, msg::LinkKind kind) { return l.kind == static_cast<uint8_t>(kind); }

// A link's name by ifindex, or "if<N>" when it is not in the list (as iproute2).
std::string name_of(const LinkList& list, uint16_t ifindex) {
  for (const auto* links : {&list.links, &list.others}) {
    for (const auto& p : *links) {
      if (p.ifindex == ifindex) return field(p.name, sizeof p.name);
    }
  }
  return "if" + std::to_string(ifindex);
}

// iproute2's "dpdk0.100@dpdk0" for a device that rides on another.
std::string display_name(const LinkList& list, const msg::LinkInfo& l) {
  const std::string name = field(l.name, sizeof l.name);
  return l.parent_ifindex != 0 ? name + "@" + name_of(list, l.parent_ifindex) : name;
}

const char* bond_mode_text(uint8_t mode) {
  switch (mode) {
    case 0: return "round-robin";
    case 1: return "active-backup";
    case 2: return "balance-xor";
    case 4: return "802.3ad";
    default: return "unknown";
  }
}

// The kernel's names for the transmit hash policies.
const char* xmit_policy_text(uint8_t policy) {
  switch (policy) {
    case 0: return "layer2";
    case 1: return "layer2+3";
    case 2: return "layer3+4";
    default: return "unknown";
  }
}

std::string bond_text(const LinkList& list, const msg::LinkInfo& l) {
  std::string s = std::string("bond mode ") + bond_mode_text(l.bond_mode);
  if (l.bond_mode == 1) {
    s += " primary " + name_of(list, l.bond_primary_ifindex);
    s += " active_slave " + (l.bond_active_ifindex ? name_of(list, l.bond_active_ifindex) : std::string("none"));
  }
  if (l.bond_mode == 2 || l.bond_mode == 4) s += std::string(" xmit_hash_policy ") + xmit_policy_text(l.bond_xmit_policy);
  return s;
}

void print_text(const Context& ctx, const LinkList& list) {
  for (size_t i = 0; i < list.links.size(); ++i) {
    const auto& l = list.links[i];
    std::printf("%u: %s: <%s> mtu %u", l.ifindex, display_name(list, l).c_str(), flags_text(l).c_str(), l.mtu);
    if (l.master_ifindex != 0) std::printf(" master %s", name_of(list, l.master_ifindex).c_str());
    std::printf(" state %s mode DEFAULT rxq %u txq %u driver %s", state_text(l), l.rx_queues, l.tx_queues,
                field(l.driver, sizeof l.driver).c_str());
    if (l.link_up && l.speed_mbps) std::printf(" speed %uMb/s", l.speed_mbps);
    std::printf("\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac_text(l.mac).c_str());
    if (is(l, msg::LinkKind::vlan)) std::printf("    vlan protocol 802.1Q id %u\n", l.vlan_id);
    if (is(l, msg::LinkKind::bond)) std::printf("    %s\n", bond_text(list, l).c_str());
    if (is(l, msg::LinkKind::kni)) std::printf("    kni of %s\n", name_of(list, l.parent_ifindex).c_str());
    if (l.master_ifindex != 0) std::printf("    bond_slave\n");
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
    if (l.parent_ifindex != 0) j["link"] = name_of(list, l.parent_ifindex);
    if (is(l, msg::LinkKind::vlan)) {
      j["linkinfo"] = {{"info_kind", "vlan"}, {"info_data", {{"protocol", "802.1Q"}, {"id", l.vlan_id}}}};
    } else if (is(l, msg::LinkKind::kni)) {
      j["linkinfo"] = {{"info_kind", "kni"}};
    } else if (is(l, msg::LinkKind::bond)) {
      nlohmann::json data{{"mode", bond_mode_text(l.bond_mode)}, {"xmit_hash_policy", xmit_policy_text(l.bond_xmit_policy)}};
      if (l.bond_mode == 1) {
        data["primary"] = name_of(list, l.bond_primary_ifindex);
        data["active_slave"] = l.bond_active_ifindex ? nlohmann::json(name_of(list, l.bond_active_ifindex)) : nullptr;
      }
      j["linkinfo"] = {{"info_kind", "bond"}, {"info_data", data}};
    }
    if (l.master_ifindex != 0) {
      j["master"] = name_of(list, l.master_ifindex);
      j["linkinfo"] = {{"info_slave_kind", "bond"}};
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

}  // namespace

void print_links(const Context& ctx, const LinkList& list) {
  if (ctx.json) {
    print_json(ctx, list);
  } else {
    print_text(ctx, list);
  }
}

int fetch_links(Context& ctx, const std::string& dev, LinkList& out) {
  if (const int rc = fetch_raw(ctx, dev, out)) return rc;
  bool refers = false;
  for (const auto& l : out.links) {
    refers |= l.parent_ifindex != 0 || l.master_ifindex != 0 || l.kind == static_cast<uint8_t>(msg::LinkKind::bond);
  }
  if (!dev.empty() && refers) {
    Context plain{ctx.client, 0, false, ctx.family};
    LinkList all;
    if (fetch_raw(plain, "", all) == 0) out.others = std::move(all.links);
  }
  return 0;
}

}  // namespace fulcrum::dpip
