#pragma once
// The ipvs layer as a daemon module: the services and real servers (from [[service]] at start, and the
// in-process API the bridge and the control socket call), the connection settings, and the packet path,
// which hooks into the ipv4 and ipv6 layers of `inet`.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/service_manager.hpp"

namespace fulcrum::ipvs {

class IpvsModule : public core::Module {
 public:
  // Valid after init().
  virtual ServiceManager& services() = 0;
  virtual ConnSettings& conn_settings() = 0;
};

std::unique_ptr<IpvsModule> make_ipvs_module(inet::Inet& inet);

}  // namespace fulcrum::ipvs
