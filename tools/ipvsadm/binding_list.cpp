// --list-bindings (see binding_list.hpp).

#include "binding_list.hpp"

#include <cstdio>

#include "address.hpp"

namespace fulcrum::ipvsadm {

std::string format_bindings(const std::vector<VipBinding>& bindings) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-40s %-7s %-4s %s\n", "VirtualAddress", "Forward", "TOA", "LocalAddresses");
  std::string out = buf;
  for (const VipBinding& b : bindings) {
    std::string laddrs;
    for (const Addr& a : b.laddrs) laddrs += (laddrs.empty() ? "" : ",") + address_text(a);
    std::snprintf(buf, sizeof buf, "%-40s %-7s %-4s %s\n", address_text(b.vip).c_str(), b.forward == fwd_fullnat ? "FullNat" : "?",
                  b.toa_off ? "off" : "on", laddrs.empty() ? "-" : laddrs.c_str());
    out += buf;
  }
  return out;
}

}  // namespace fulcrum::ipvsadm
