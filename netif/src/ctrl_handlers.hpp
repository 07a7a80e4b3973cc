#pragma once
// The control socket's netif messages (ctrl/proto/netif.hpp): list links with their counters, and change
// a link's admin state, MTU or promiscuous mode. Handlers run on the master.

#include "dataplane.hpp"
#include "fulcrum/ctrl/registry.hpp"

namespace fulcrum::netif {

void register_ctrl_handlers(ctrl::Registry& registry, Dataplane& dp);

}  // namespace fulcrum::netif
