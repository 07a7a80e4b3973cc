// The ipvs layer as a module: reads [ipvs] and [[service]] before EAL, then in init builds the services
// (installed on every worker's table directly: no lcore runs yet), the dataplane that hooks into ipv4 and
// ipv6, and the control handlers, and switches the services to the bus.

#include "fulcrum/ipvs/ipvs_module.hpp"

#include <stdexcept>

#include "dataplane/ipvs_dataplane.hpp"
#include "fulcrum/ctrl/protocol.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/ipvs/ipvs_config.hpp"
#include "fulcrum/ipvs/sockopt.hpp"
#include "ipvs_log.hpp"

namespace fulcrum::ipvs {
namespace {

class IpvsModuleImpl final : public IpvsModule {
 public:
  explicit IpvsModuleImpl(inet::Inet& inet) : inet_(inet) {}

  const char* name() const override { return "ipvs"; }

  ServiceManager& services() override {
    if (!services_) throw std::logic_error("ipvs: services() before init()");
    return *services_;
  }
  ConnSettings& conn_settings() override {
    if (!conn_settings_) throw std::logic_error("ipvs: conn_settings() before init()");
    return *conn_settings_;
  }

  void configure(core::ConfigTable& root) override { cfg_ = read_ipvs_config(root); }

  void init(core::ModuleContext& ctx) override {
    const IpvsSettings& s = cfg_.settings;
    ServiceManagerOptions opts;
    opts.laddr_port_min = s.laddr_port_min;
    opts.laddr_port_max = s.laddr_port_max;
    opts.laddr_random_start = true;
    services_ = std::make_unique<ServiceManager>(&ctx.runtime.bus(), 0, opts);
    conn_settings_ = std::make_unique<ConnSettings>(s.timeouts, s.conn_max, services_->workers());
    size_t dests = 0;
    for (const VipBinding& b : cfg_.vip_bindings) {
      if (Status st = services_->set_vip_binding(b); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
    }
    for (const ConfiguredService& cs : cfg_.services) {
      // configure() applied the same to a scratch table, so a refusal here is a bug, not a config error.
      if (Status st = services_->add_service(cs.spec, ServiceManager::BindingUse::ignore); !st.ok()) {
        throw std::runtime_error("ipvs: " + st.msg);
      }
      for (const DestSpec& d : cs.dests) {
        if (Status st = services_->add_dest(cs.spec.key, d); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
      }
      for (const IpAddr& a : cs.laddrs) {
        if (Status st = services_->add_laddr(cs.spec.key, a); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
      }
      dests += cs.dests.size();
    }
    for (const SnatRule& r : cfg_.snat_rules) {
      if (Status st = services_->add_snat_rule(r); !st.ok()) throw std::runtime_error("ipvs: " + st.msg);
    }
    dataplane_ = std::make_unique<IpvsDataplane>(inet_, *services_, *conn_settings_, s);
    dataplane_->init(ctx);
    ctx.ctrl.claim("ipvs", ctrl::ids::kIpvsFirst, ctrl::ids::kIpvsLast);
    register_dataplane_handlers(ctx.ctrl, *dataplane_);
    services_->go_live();
    register_sockopt_handlers(ctx.ctrl, *services_, *conn_settings_);
    ctx.runtime.add_master_job({"ipvs.rates", &IpvsModuleImpl::rates_job, services_.get(),
                                core::Job::When::every_interval, 1, kRateIntervalUs});
    FLOG(g_log, INFO, "%zu services, %zu real servers, on %u workers", cfg_.services.size(), dests,
         services_->workers());
    for (const SnatRule& r : cfg_.snat_rules) FLOG(g_log, INFO, "snat: %s", to_string(r).c_str());
  }

  static uint32_t rates_job(void* services) {
    static_cast<ServiceManager*>(services)->estimate_rates();
    return 1;
  }

  void stop() override {
    if (dataplane_) dataplane_->stop();
    dataplane_.reset();
    services_.reset();
  }

 private:
  inet::Inet& inet_;
  IpvsConfig cfg_;
  std::unique_ptr<ServiceManager> services_;
  std::unique_ptr<ConnSettings> conn_settings_;
  std::unique_ptr<IpvsDataplane> dataplane_;
};

}  // namespace

std::unique_ptr<IpvsModule> make_ipvs_module(inet::Inet& inet) { return std::make_unique<IpvsModuleImpl>(inet); }

}  // namespace fulcrum::ipvs
