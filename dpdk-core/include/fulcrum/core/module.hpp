#pragma once
// How a layer plugs into the daemon. fulcrumd holds its modules in dependency order (core, ctrl, netif,
// ipv4/ipv6, ipvs, ...); each reads its own config sections, then registers what it offers: jobs, message
// types, timers, control handlers, packet handlers. Nothing reaches inside another module.

#include <string>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/core/core_config.hpp"
#include "fulcrum/core/runtime.hpp"

namespace fulcrum::ctrl {
class Registry;
}

namespace fulcrum::core {

struct ModuleContext {
  Runtime& runtime;
  ctrl::Registry& ctrl;
  const CoreConfig& core;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual const char* name() const = 0;
  // Before EAL starts: read and validate this module's sections, throwing ConfigError.
  virtual void configure(ConfigTable& root) { (void)root; }
  // After configure, before EAL starts: the PCI devices (DPDK names, "0000:03:00.0") this module's config
  // asks EAL to probe. EAL probes those and no other; with none at all it scans no PCI bus (--no-pci).
  virtual std::vector<std::string> pci_devices() const { return {}; }
  // After EAL and the runtime exist, before any lcore runs. Throws std::exception on failure.
  virtual void init(ModuleContext& ctx) { (void)ctx; }
  // After every lcore stopped; modules stop in reverse order.
  virtual void stop() {}
};

}  // namespace fulcrum::core
