// The ipvs layer as a module: reads [[service]] before EAL, then in init declares its bus messages, installs
// the configured services on every worker's table (directly: no lcore runs yet) and switches to the bus.

#include "fulcrum/ipvs/ipvs_module.hpp"

#include <stdexcept>

#include "fulcrum/ipvs/ipvs_config.hpp"
#include "ipvs_log.hpp"

namespace fulcrum::ipvs {
namespace {

class IpvsModuleImpl final : public IpvsModule {
 public:
  const char* name() const override { return "ipvs"; }

  ServiceManager& services() override {
    if (!services_) throw std::logic_error("ipvs: services() before init()");
    return *services_;
  }

  void configure(core::ConfigTable& root) override { cfg_ = read_ipvs_config(root); }

  void init(core::ModuleContext& ctx) override {
    services_ = std::make_unique<ServiceManager>(&ctx.runtime.bus(), 0);
    size_t dests = 0;
    for (const ConfiguredService& cs : cfg_.services) {
      // configure() applied the same to a scratch table, so a refusal here is a bug, not a config error.
      if (Status st = services_->add_service(cs.spec); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
      for (const DestSpec& d : cs.dests) {
        if (Status st = services_->add_dest(cs.spec.key, d); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
      }
      dests += cs.dests.size();
    }
    services_->go_live();
    FLOG(g_log, INFO, "%zu services, %zu real servers, on %u workers", cfg_.services.size(), dests,
         services_->workers());
  }

  void stop() override { services_.reset(); }

 private:
  IpvsConfig cfg_;
  std::unique_ptr<ServiceManager> services_;
};

}  // namespace

std::unique_ptr<IpvsModule> make_ipvs_module() { return std::make_unique<IpvsModuleImpl>(); }

}  // namespace fulcrum::ipvs
