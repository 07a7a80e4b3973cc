#pragma once
// The ipvs layer's configuration: one [[service]] table per virtual service, each with its
// [[service.real_server]] tables. Everything is checked here, the kernel's rules included (by applying the
// services to a scratch table), so that `fulcrumd --check` refuses what init would.

#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs {

struct ConfiguredService {
  ServiceSpec spec;
  std::vector<DestSpec> dests;
};

struct IpvsConfig {
  std::vector<ConfiguredService> services;
};

// Throws core::ConfigError naming the key and its value.
IpvsConfig read_ipvs_config(core::ConfigTable& root);

}  // namespace fulcrum::ipvs
