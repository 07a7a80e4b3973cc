#pragma once
// [[vip_binding]]: per-VIP forwarding bindings in the config (vip_binding.hpp), and how a [[service]] on a
// bound VIP takes from its binding every key it does not set itself.

#include <string>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/ipvs/vip_binding.hpp"

namespace fulcrum::ipvs {

// Every [[vip_binding]] table, checked (throws core::ConfigError naming the key and its value). An absent
// array still declares the schema.
std::vector<VipBinding> read_vip_bindings(core::ConfigTable& root);

// The binding of a service's VIP, or null.
const VipBinding* binding_for(const std::vector<VipBinding>& bindings, const ServiceKey& key);

// What a [[service]] table `t` leaves unset (forward, toa, local_addresses) comes from `b`: `spec` gets its
// forward and toa, `laddrs` (the service's local_addresses as text) its group.
void take_binding(const core::ConfigTable& t, const VipBinding& b, ServiceSpec* spec, std::vector<std::string>* laddrs);

}  // namespace fulcrum::ipvs
