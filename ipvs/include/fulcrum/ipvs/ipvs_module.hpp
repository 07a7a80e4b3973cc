#pragma once
// The ipvs layer as a daemon module. For now: the services and real servers (from [[service]] at start, and
// the in-process API the bridge and the control socket will call). The packet path comes next.

#include <memory>

#include "fulcrum/core/module.hpp"
#include "fulcrum/ipvs/service_manager.hpp"

namespace fulcrum::ipvs {

class IpvsModule : public core::Module {
 public:
  // Valid after init().
  virtual ServiceManager& services() = 0;
};

std::unique_ptr<IpvsModule> make_ipvs_module();

}  // namespace fulcrum::ipvs
