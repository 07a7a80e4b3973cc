#pragma once
// The ipv4/ipv6 layers' configuration: [inet] (table sizes, neighbour timers, reassembly, ICMP errors, static
// addresses, routes and neighbours), [ipv4] and [ipv6] (forwarding, TTL). Everything that can be checked
// without EAL is checked here; the static entries' devices are checked at start (they come from [[port]]).

#include <cstdint>
#include <string>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/inet/addr.hpp"
#include "fulcrum/inet/table_msg.hpp"

namespace fulcrum::inet {

struct NeighConfig {
  uint32_t reachable_ms = 30000;
  uint32_t retrans_ms = 1000;
  uint32_t probes = 3;
  uint32_t stale_ms = 60000;
  uint32_t delay_ms = 5000;  // how often a STALE entry is checked for use
};

struct FamilyConfig {
  bool forwarding = false;
  uint8_t ttl = 64;  // of the packets we originate (IPv6: hop limit)
};

// One line of inet.addresses, inet.routes or inet.neighbours, parsed: the same words as dpip.
struct StaticAddress {
  Addr addr;
  uint8_t plen = 0;
  std::string dev;
  uint32_t flags = 0;
};
struct StaticRoute {
  Prefix prefix;
  bool has_gateway = false;
  Addr gateway;
  std::string dev;  // empty: found from the gateway
};
struct StaticNeighbour {
  Addr addr;
  Mac mac{};
  std::string dev;
};

struct InetConfig {
  TableLimits limits;
  NeighConfig neigh;
  uint32_t neigh_queue_len = 16;  // packets a worker holds per unresolved neighbour
  uint32_t neigh_pending = 64;    // neighbours a worker may wait on at once
  bool reassembly = true;
  uint32_t reassembly_timeout_ms = 2000;
  uint32_t reassembly_flows = 1024;  // packets being reassembled at once, per worker and family
  uint32_t icmp_errors_per_s = 100;  // per worker; 0: never send ICMP errors
  FamilyConfig family[2];            // by family_index
  std::vector<StaticAddress> addresses;
  std::vector<StaticRoute> routes;
  std::vector<StaticNeighbour> neighbours;

  const FamilyConfig& of(Family f) const { return family[family_index(f)]; }
};

// Throws core::ConfigError naming the key, its value and what is allowed.
InetConfig read_inet_config(core::ConfigTable& root);

// The words of a static line, as dpip takes them; nullopt with `why` set when they do not parse.
std::optional<StaticAddress> parse_static_address(const std::string& line, std::string& why);
std::optional<StaticRoute> parse_static_route(const std::string& line, std::string& why);
std::optional<StaticNeighbour> parse_static_neighbour(const std::string& line, std::string& why);
std::optional<Mac> parse_mac(std::string_view text);

}  // namespace fulcrum::inet
