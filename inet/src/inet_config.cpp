#include "fulcrum/inet/inet_config.hpp"

#include <charconv>
#include <sstream>

#include "fulcrum/ctrl/proto/inet.hpp"

namespace fulcrum::inet {
namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool take_value(const std::vector<std::string>& w, size_t& i, std::string& out, std::string& why) {
  if (i + 1 >= w.size()) {
    why = "\"" + w[i] + "\" needs a value";
    return false;
  }
  out = w[++i];
  return true;
}

}  // namespace

std::optional<Mac> parse_mac(std::string_view text) {
  Mac mac{};
  size_t pos = 0;
  for (unsigned i = 0; i < 6; ++i) {
    if (i > 0) {
      if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')) return std::nullopt;
      ++pos;
    }
    unsigned v = 0;
    const size_t start = pos;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + std::min(text.size(), pos + 2), v, 16);
    if (ec != std::errc() || end == text.data() + start) return std::nullopt;
    pos = static_cast<size_t>(end - text.data());
    mac[i] = static_cast<uint8_t>(v);
  }
  if (pos != text.size()) return std::nullopt;
  return mac;
}

std::optional<StaticAddress> parse_static_address(const std::string& line, std::string& why) {
  const auto w = words(line);
  StaticAddress out;
  bool have_addr = false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == "dev") {
      if (!take_value(w, i, out.dev, why)) return std::nullopt;
    } else if (w[i] == "vip") {
      out.flags |= ctrl::inet_msg::addr_vip;
    } else if (w[i] == "fnat-local") {
      out.flags |= ctrl::inet_msg::addr_fnat_local;
    } else if (!have_addr) {
      const auto p = Prefix::parse(w[i]);
      if (!p || w[i] == "default" || w[i] == "all" || w[i] == "any") {
        why = "\"" + w[i] + "\" is not an address (198.18.0.1/24, 2001:db8::1/64)";
        return std::nullopt;
      }
      out.addr = p->addr;
      out.plen = p->len;
      have_addr = true;
    } else {
      why = "unexpected \"" + w[i] + "\" (expected dev DEVICE, vip or fnat-local)";
      return std::nullopt;
    }
  }
  if (!have_addr || out.dev.empty()) {
    why = "needs ADDRESS[/LEN] dev DEVICE";
    return std::nullopt;
  }
  return out;
}

std::optional<StaticRoute> parse_static_route(const std::string& line, std::string& why) {
  const auto w = words(line);
  StaticRoute out;
  std::string dst;
  std::string via;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == "dev") {
      if (!take_value(w, i, out.dev, why)) return std::nullopt;
    } else if (w[i] == "via") {
      if (!take_value(w, i, via, why)) return std::nullopt;
    } else if (dst.empty()) {
      dst = w[i];
    } else {
      why = "unexpected \"" + w[i] + "\" (expected via GATEWAY or dev DEVICE)";
      return std::nullopt;
    }
  }
  if (dst.empty()) {
    why = "needs a PREFIX (or default)";
    return std::nullopt;
  }
  std::optional<Family> fam;
  if (!via.empty()) {
    const auto gw = Addr::parse(via);
    if (!gw) {
      why = "gateway \"" + via + "\" is not an address";
      return std::nullopt;
    }
    out.has_gateway = true;
    out.gateway = *gw;
    fam = gw->family;
  }
  const auto p = Prefix::parse(dst, fam);
  if (!p) {
    why = "\"" + dst + "\" is not a prefix" + (fam ? std::string(" of the gateway's family") : "");
    return std::nullopt;
  }
  out.prefix = *p;
  if (!out.has_gateway && out.dev.empty()) {
    why = "needs via GATEWAY or dev DEVICE";
    return std::nullopt;
  }
  return out;
}

std::optional<StaticNeighbour> parse_static_neighbour(const std::string& line, std::string& why) {
  const auto w = words(line);
  StaticNeighbour out;
  bool have_addr = false;
  bool have_mac = false;
  for (size_t i = 0; i < w.size(); ++i) {
    std::string v;
    if (w[i] == "dev") {
      if (!take_value(w, i, out.dev, why)) return std::nullopt;
    } else if (w[i] == "lladdr") {
      if (!take_value(w, i, v, why)) return std::nullopt;
      const auto mac = parse_mac(v);
      if (!mac) {
        why = "lladdr \"" + v + "\" is not a MAC address";
        return std::nullopt;
      }
      out.mac = *mac;
      have_mac = true;
    } else if (!have_addr) {
      const auto a = Addr::parse(w[i]);
      if (!a) {
        why = "\"" + w[i] + "\" is not an address";
        return std::nullopt;
      }
      out.addr = *a;
      have_addr = true;
    } else {
      why = "unexpected \"" + w[i] + "\" (expected lladdr MAC or dev DEVICE)";
      return std::nullopt;
    }
  }
  if (!have_addr || !have_mac || out.dev.empty()) {
    why = "needs ADDRESS lladdr MAC dev DEVICE";
    return std::nullopt;
  }
  return out;
}

InetConfig read_inet_config(core::ConfigTable& root) {
  InetConfig cfg;
  auto t = root.table("inet", "the ipv4/ipv6 layers: tables, neighbours, reassembly, static entries");
  cfg.limits.addresses = static_cast<uint32_t>(t.get_int(
      "max_addresses", 4096, 16, 1 << 20, "addresses (both families, VIPs included) the layer can hold"));
  cfg.limits.routes = static_cast<uint32_t>(
      t.get_int("max_routes", 1024, 16, 65536, "routes per family, connected routes included"));
  cfg.limits.neighbours = static_cast<uint32_t>(
      t.get_int("max_neighbours", 4096, 16, 1 << 20, "ARP and ND entries, both families together"));
  cfg.neigh.reachable_ms = static_cast<uint32_t>(t.get_int(
      "neigh_reachable_ms", 30000, 1000, 3600000, "how long a confirmed neighbour is REACHABLE before checked"));
  cfg.neigh.retrans_ms = static_cast<uint32_t>(
      t.get_int("neigh_retrans_ms", 1000, 100, 60000, "between two ARP requests (NS) for one neighbour"));
  cfg.neigh.probes = static_cast<uint32_t>(
      t.get_int("neigh_probes", 3, 1, 20, "ARP requests (NS) sent before a neighbour is FAILED"));
  cfg.neigh.stale_ms = static_cast<uint32_t>(t.get_int(
      "neigh_stale_ms", 60000, 1000, 86400000, "how long an unused STALE or FAILED neighbour is kept"));
  cfg.neigh_queue_len = static_cast<uint32_t>(t.get_int(
      "neigh_queue_len", 16, 1, 1024, "packets a worker holds for one neighbour being resolved"));
  cfg.neigh_pending = static_cast<uint32_t>(
      t.get_int("neigh_pending", 64, 1, 1024, "neighbours a worker can be waiting on at once"));
  cfg.reassembly = t.get_bool("reassembly", true,
                              "reassemble fragments of packets for our addresses (false: drop them, counted)");
  cfg.reassembly_timeout_ms = static_cast<uint32_t>(
      t.get_int("reassembly_timeout_ms", 2000, 100, 60000, "how long the fragments of one packet may take"));
  cfg.reassembly_flows = static_cast<uint32_t>(t.get_int(
      "reassembly_flows", 1024, 16, 65536, "packets being reassembled at once, per worker and family"));
  cfg.icmp_errors_per_s = static_cast<uint32_t>(t.get_int(
      "icmp_errors_per_s", 100, 0, 1000000, "ICMP errors (unreachable, time exceeded) a worker sends per second"));

  const auto addresses = t.get_string_array("addresses", {}, "addresses set at start, as dpip addr add takes them");
  for (size_t i = 0; i < addresses.size(); ++i) {
    std::string why;
    auto a = parse_static_address(addresses[i], why);
    if (!a) t.fail("addresses", i, why);
    cfg.addresses.push_back(*a);
  }
  const auto routes = t.get_string_array("routes", {}, "routes set at start, as dpip route add takes them");
  for (size_t i = 0; i < routes.size(); ++i) {
    std::string why;
    auto r = parse_static_route(routes[i], why);
    if (!r) t.fail("routes", i, why);
    cfg.routes.push_back(*r);
  }
  const auto neighbours =
      t.get_string_array("neighbours", {}, "permanent neighbours set at start, as dpip neigh add takes them");
  for (size_t i = 0; i < neighbours.size(); ++i) {
    std::string why;
    auto n = parse_static_neighbour(neighbours[i], why);
    if (!n) t.fail("neighbours", i, why);
    cfg.neighbours.push_back(*n);
  }

  auto v4 = root.table("ipv4", "the IPv4 layer");
  cfg.family[0].forwarding =
      v4.get_bool("forwarding", false, "forward IPv4 packets between devices (dpip ipv4 set forwarding on|off)");
  cfg.family[0].ttl = static_cast<uint8_t>(v4.get_int("ttl", 64, 1, 255, "TTL of the IPv4 packets we originate"));
  auto v6 = root.table("ipv6", "the IPv6 layer");
  cfg.family[1].forwarding =
      v6.get_bool("forwarding", false, "forward IPv6 packets between devices (dpip ipv6 set forwarding on|off)");
  cfg.family[1].ttl =
      static_cast<uint8_t>(v6.get_int("hop_limit", 64, 1, 255, "hop limit of the IPv6 packets we originate"));
  return cfg;
}

}  // namespace fulcrum::inet
