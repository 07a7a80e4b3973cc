// The numbers of the kernel's range that are no command, answered as the kernel answers them: a set of
// NONE, INSERT, LIST, RESTORE or SAVE and a get of DEST (never implemented) are EINVAL; gets above
// GET_DAEMON are not IPVS's at all (netfilter finds no handler: ENOPROTOOPT).

#include <linux/ip_vs.h>

#include <cerrno>

#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {

void register_unused(ctrl::Registry& r) {
  const auto no_command = [](const ctrl::Request& in, ctrl::Response& out) {
    return malformed(in, out, EINVAL, "not a command the kernel carries out");
  };
  const auto not_ipvs = [](const ctrl::Request& in, ctrl::Response& out) {
    return malformed(in, out, ENOPROTOOPT, "above IP_VS_SO_GET_MAX (1159): no such option");
  };
  for (uint32_t id : {IP_VS_SO_SET_NONE, IP_VS_SO_SET_INSERT, IP_VS_SO_SET_LIST, IP_VS_SO_SET_RESTORE,
                      IP_VS_SO_SET_SAVE}) {
    r.add(kOwner, {ctrl::Kind::set, id, "ipvs.SET_unused", 0, ctrl::kMaxPayload, no_command});
  }
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_DEST, "ipvs.GET_DEST", 0, ctrl::kMaxPayload, no_command});
  for (uint32_t id = IP_VS_SO_GET_MAX + 1; id <= ctrl::ids::kIpvsSockoptLast; ++id) {
    r.add(kOwner, {ctrl::Kind::get, id, "ipvs.GET_unused", 0, ctrl::kMaxPayload, not_ipvs});
  }
}

}  // namespace fulcrum::ipvs::sockopt
