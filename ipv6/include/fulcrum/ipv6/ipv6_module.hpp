#pragma once
// The IPv6 layer as a daemon module: ND, IPv6 input/forward/output, ICMPv6, fragments. It registers with
// netif (the IPv6 ethertype) and with inet (the IPv6 family, the ICMPv6 protocol); the layers above reach it
// through inet (hooks, Inet::output), never directly.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"

namespace fulcrum::ipv6 {

std::unique_ptr<core::Module> make_ipv6_module(inet::Inet& inet);

}  // namespace fulcrum::ipv6
