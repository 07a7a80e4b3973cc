#include "modules.hpp"

#include "fulcrum/inet/inet_module.hpp"
#include "fulcrum/ipv4/ipv4_module.hpp"
#include "fulcrum/ipv6/ipv6_module.hpp"
#include "fulcrum/ipvs/ipvs_module.hpp"
#include "fulcrum/netif/netif_module.hpp"

namespace fulcrum::daemon {

void add_layer_modules(std::vector<std::unique_ptr<core::Module>>& modules) {
  // Each layer takes the façade of the one below when it is built; the modules then run in this order.
  auto netif = netif::make_netif_module();
  auto inet = inet::make_inet_module(netif->netif());
  auto ipv4 = ipv4::make_ipv4_module(inet->inet());
  auto ipv6 = ipv6::make_ipv6_module(inet->inet());
  auto ipvs = ipvs::make_ipvs_module(inet->inet());
  modules.push_back(std::move(netif));
  modules.push_back(std::move(inet));
  modules.push_back(std::move(ipv4));
  modules.push_back(std::move(ipv6));
  modules.push_back(std::move(ipvs));
}

}  // namespace fulcrum::daemon
