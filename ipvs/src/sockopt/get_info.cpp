// IP_VS_SO_GET_VERSION (the text ipvsadm prints as its first line of -L) and IP_VS_SO_GET_INFO (what both
// tools call first, to learn whether IPVS is there at all).

#include <cstdio>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

constexpr uint32_t kVersionBuf = 64;  // the kernel's get_arglen for GET_VERSION

// The kernel copies strlen + 1 bytes and sets *optlen to that: the only GET that writes the length back,
// which the bridge does for a reply to this id.
int get_version(Ctx c, ctrl::Response& out) {
  char text[kVersionBuf];
  const int n = std::snprintf(text, sizeof text, "IP Virtual Server version %u.%u.%u (size=%u)",
                              (kIpvsVersionCode >> 16) & 0xff, (kIpvsVersionCode >> 8) & 0xff,
                              kIpvsVersionCode & 0xff, c.settings.table_size());
  out.payload.assign(text, text + n + 1);
  return 0;
}

// Only IPv4 services count: ipvsadm sizes its GET_SERVICES by this number and then asks for the dests of
// each entry, so a count that included IPv6 services would leave empty entries and "No such service".
int get_info(Ctx c, ctrl::Response& out) {
  ip_vs_getinfo info{};
  info.version = kIpvsVersionCode;
  info.size = c.settings.table_size();
  for (const ServiceInfo& s : c.services.list_services()) info.num_services += s.spec.key.family == Family::v4;
  append(out.payload, info);
  return 0;
}

}  // namespace

void register_get_info(ctrl::Registry& r, Ctx c) {
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_VERSION, "ipvs.GET_VERSION", kVersionBuf, ctrl::kMaxPayload,
                 [c](const ctrl::Request&, ctrl::Response& out) { return get_version(c, out); }});
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_INFO, "ipvs.GET_INFO", sizeof(ip_vs_getinfo), ctrl::kMaxPayload,
                 [c](const ctrl::Request&, ctrl::Response& out) { return get_info(c, out); }});
}

}  // namespace fulcrum::ipvs::sockopt
