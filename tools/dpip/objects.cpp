#include "command.hpp"

namespace fulcrum::dpip {

int run_link(Context& ctx, Args args);
int run_cpu(Context& ctx, Args args);
int run_vlan(Context& ctx, Args args);

std::span<const Object> objects() {
  // Order decides abbreviations, as in ip: the first match wins.
  static const Object table[] = {
      {"link", "ports: state, MTU, counters", run_link},
      {"cpu", "lcore roles and load", run_cpu},
      {"vlan", "802.1Q sub-interfaces: add, del, show", run_vlan},
  };
  return table;
}

}  // namespace fulcrum::dpip
