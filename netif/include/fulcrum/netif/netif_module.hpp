#pragma once
// The netif layer as a daemon module. Layers above take its Netif& when the daemon builds them.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/netif/netif.hpp"

namespace fulcrum::netif {

class NetifModule : public core::Module {
 public:
  virtual Netif& netif() = 0;
};

std::unique_ptr<NetifModule> make_netif_module();

}  // namespace fulcrum::netif
