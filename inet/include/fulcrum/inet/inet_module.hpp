#pragma once
// The common part of the ipv4/ipv6 layers as a daemon module. The ipv4 and ipv6 modules, and later ipvs,
// take its Inet& when the daemon builds them; it comes after netif and before them.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/netif/netif.hpp"

namespace fulcrum::inet {

class InetModule : public core::Module {
 public:
  virtual Inet& inet() = 0;
};

std::unique_ptr<InetModule> make_inet_module(netif::Netif& netif);

}  // namespace fulcrum::inet
