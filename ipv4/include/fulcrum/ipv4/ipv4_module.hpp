#pragma once
// The IPv4 layer as a daemon module: ARP, IPv4 input/forward/output, ICMP, fragments. It registers with
// netif (the IPv4 and ARP ethertypes) and with inet (the IPv4 family, the ICMP protocol); the layers above
// reach it through inet (hooks, Inet::output), never directly.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"

namespace fulcrum::ipv4 {

std::unique_ptr<core::Module> make_ipv4_module(inet::Inet& inet);

}  // namespace fulcrum::ipv4
