// The one entry point: claims the ipvs layer's ranges for these handlers and registers them all.

#include <algorithm>

#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "fulcrum/ipvs/sockopt.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs {

void register_sockopt_handlers(ctrl::Registry& registry, ServiceManager& services, ConnSettings& settings) {
  using namespace sockopt;
  registry.claim(kOwner, ctrl::ids::kIpvsSockoptFirst, ctrl::ids::kIpvsSockoptLast);
  // The module may have claimed the layer's whole range already (for the dataplane's messages too).
  const auto& ranges = registry.ranges();
  const bool have_ext = std::any_of(ranges.begin(), ranges.end(), [](const ctrl::Registry::Range& r) {
    return r.owner == kOwner && r.first <= ctrl::ipvs_msg::kExtFirst && ctrl::ipvs_msg::kExtLast <= r.last;
  });
  if (!have_ext) registry.claim(kOwner, ctrl::ipvs_msg::kExtFirst, ctrl::ipvs_msg::kExtLast);
  const Ctx c{services, settings};
  register_get_info(registry, c);
  register_get_services(registry, c);
  register_set_service(registry, c);
  register_set_dest(registry, c);
  register_timeouts(registry, c);
  register_sync_daemon(registry);
  register_unused(registry);
  register_ext_services(registry, c);
  register_ext_dests(registry, c);
  register_ext_laddrs(registry, c);
  register_ext_bindings(registry, c);
  register_ext_snat(registry, c);
}

}  // namespace fulcrum::ipvs
