// --list-snat (see snat_list.hpp).

#include "snat_list.hpp"

#include <netinet/in.h>

#include <cstdio>

#include "address.hpp"

namespace fulcrum::ipvsadm {

std::string format_snat_rules(const std::vector<SnatRule>& rules) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, "%-44s %-4s %-11s %s\n", "Source", "Prot", "DestPorts", "LocalAddresses");
  std::string out = buf;
  for (const SnatRule& r : rules) {
    const std::string source = address_text(r.source) + "/" + std::to_string(r.prefix);
    const char* proto = r.protocol == IPPROTO_TCP ? "TCP" : r.protocol == IPPROTO_UDP ? "UDP" : "any";
    std::string ports = "any";
    if (r.dport_min != 0 || r.dport_max != 65535) {
      ports = std::to_string(r.dport_min);
      if (r.dport_max != r.dport_min) ports += "-" + std::to_string(r.dport_max);
    }
    std::string laddrs;
    for (const Addr& a : r.laddrs) laddrs += (laddrs.empty() ? "" : ",") + address_text(a);
    std::snprintf(buf, sizeof buf, "%-44s %-4s %-11s %s\n", source.c_str(), proto, ports.c_str(),
                  laddrs.empty() ? "-" : laddrs.c_str());
    out += buf;
  }
  return out;
}

}  // namespace fulcrum::ipvsadm
