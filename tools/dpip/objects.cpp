#include "command.hpp"

namespace fulcrum::dpip {

int run_link(Context& ctx, Args args);
int run_addr(Context& ctx, Args args);
int run_route(Context& ctx, Args args);
int run_neigh(Context& ctx, Args args);
int run_ipv4(Context& ctx, Args args);
int run_ipv6(Context& ctx, Args args);
int run_ping(Context& ctx, Args args);
int run_cpu(Context& ctx, Args args);
int run_vlan(Context& ctx, Args args);

std::span<const Object> objects() {
  // Order decides abbreviations, as in ip: the first match wins.
  static const Object table[] = {
      {"link", "ports: state, MTU, counters", run_link},
      {"addr", "IPv4 and IPv6 addresses: add, del, show", run_addr},
      {"route", "routes: add, replace, del, show, get", run_route},
      {"neigh", "ARP and ND neighbours: add, del, flush, show", run_neigh},
      {"cpu", "lcore roles and load", run_cpu},
      {"vlan", "802.1Q sub-interfaces: add, del, show", run_vlan},
      {"ipv4", "IPv4 settings and, with -s, counters", run_ipv4},
      {"ipv6", "IPv6 settings and, with -s, counters", run_ipv6},
      {"ping", "echo requests from the dataplane", run_ping},
  };
  return table;
}

}  // namespace fulcrum::dpip
