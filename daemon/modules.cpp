#include "modules.hpp"

namespace fulcrum::daemon {

void add_layer_modules(std::vector<std::unique_ptr<core::Module>>& modules) {
  (void)modules;  // netif, ipv4, ipv6 and ipvs register here as they land
}

}  // namespace fulcrum::daemon
