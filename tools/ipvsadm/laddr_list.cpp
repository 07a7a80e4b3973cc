// The -G listing (see laddr_list.hpp), in the column style of -L.

#include "laddr_list.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "address.hpp"
#include "listing.hpp"
#include "wire.hpp"

namespace fulcrum::ipvsadm {
namespace {

const char* proto_label(uint16_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "TCP";
    case kProtoUdp:
      return "UDP";
    case kProtoSctp:
      return "SCTP";
    default:
      return "???";
  }
}

bool same(const Addr& a, const ctrl::ipvs_conn::LaddrEntry& e) {
  return decode_addr(e.family, e.addr) == a;
}

}  // namespace

std::string format_laddr_title(bool per_worker) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-33s %-7s %s\n  -> %-28s %-10s %-10s %s\n", "Prot LocalAddress:Port", "Forward",
                "LocalAddresses", "LocalAddress", "Ports", "FreePorts", "Services");
  std::string out = buf;
  if (per_worker) {
    std::snprintf(buf, sizeof buf, "     %-28s %-10s %s\n", "worker", "Ports", "FreePorts");
    out += buf;
  }
  return out;
}

std::string format_laddr_group(const Service& svc, const std::vector<Addr>& laddrs,
                               const std::vector<ctrl::ipvs_conn::LaddrEntry>& pool, bool per_worker, unsigned format) {
  char buf[512];
  const std::string name = std::string(proto_label(svc.protocol)) + "  " +
                           addrport_text(svc.addr, svc.port, svc.protocol, (format & fmt_numeric) != 0);
  std::snprintf(buf, sizeof buf, "%-33s %-7s %zu\n", name.c_str(), svc.forward == fwd_fullnat ? "FullNat" : "-",
                laddrs.size());
  std::string out = buf;
  for (const Addr& a : laddrs) {
    uint64_t ports = 0, free_ports = 0;
    uint32_t services = 0;
    for (const auto& e : pool) {
      if (!same(a, e)) continue;
      ports += e.ports;
      free_ports += e.free_ports;
      services = std::max(services, e.services);
    }
    std::snprintf(buf, sizeof buf, "  -> %-28s %-10llu %-10llu %u\n", address_text(a).c_str(),
                  static_cast<unsigned long long>(ports), static_cast<unsigned long long>(free_ports), services);
    out += buf;
    if (!per_worker) continue;
    for (const auto& e : pool) {
      if (!same(a, e)) continue;
      std::snprintf(buf, sizeof buf, "     %-28u %-10u %u\n", e.worker, e.ports, e.free_ports);
      out += buf;
    }
  }
  return out;
}

}  // namespace fulcrum::ipvsadm
