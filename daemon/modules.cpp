#include "modules.hpp"

#include "fulcrum/netif/netif_module.hpp"

namespace fulcrum::daemon {

void add_layer_modules(std::vector<std::unique_ptr<core::Module>>& modules) {
  modules.push_back(netif::make_netif_module());  // ipv4, ipv6 and ipvs register here as they land
}

}  // namespace fulcrum::daemon
