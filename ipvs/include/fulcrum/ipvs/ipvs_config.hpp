#pragma once
// The ipvs layer's configuration: one [[service]] table per virtual service, each with its
// [[service.real_server]] tables. Everything is checked here, the kernel's rules included (by applying the
// services to a scratch table), so that `fulcrumd --check` refuses what init would.

#include <array>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/snat_rule.hpp"
#include "fulcrum/ipvs/vip_binding.hpp"

namespace fulcrum::ipvs {

struct ConfiguredService {
  ServiceSpec spec;
  std::vector<DestSpec> dests;
  std::vector<IpAddr> laddrs;  // FullNAT local-address group
};

// [ipvs]: the connection layer.
struct IpvsSettings {
  uint32_t conn_max = 1u << 20;  // connections per worker
  ConnTimeouts timeouts;
  uint16_t laddr_port_min = 1025;
  uint16_t laddr_port_max = 65535;
  uint32_t redirect_ring = 4096;  // packets waiting to reach their owner worker, per worker
  // Seconds per TCP state (ipvs::TcpState order); 0: the kernel's default. ESTABLISHED and FIN_WAIT are
  // `timeouts` above, which ipvsadm --set changes at run time.
  std::array<uint32_t, 11> tcp_state_s{};
};

struct IpvsConfig {
  IpvsSettings settings;
  std::vector<ConfiguredService> services;
  // [[vip_binding]]: services that tools create later on these VIPs take them. The services above have
  // already taken theirs (what they leave unset), and are added without applying them again.
  std::vector<VipBinding> vip_bindings;
  // [[snat]]: outbound flows from inside networks through an SNAT pool, in the file's order.
  std::vector<SnatRule> snat_rules;
};

// Throws core::ConfigError naming the key and its value.
IpvsConfig read_ipvs_config(core::ConfigTable& root);

}  // namespace fulcrum::ipvs
