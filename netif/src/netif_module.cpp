// The netif layer as a module: reads [netif] and [[port]] before EAL, opens the ports and registers the
// packet-path jobs, the link watch and the control handlers after.

#include "fulcrum/netif/netif_module.hpp"

#include "ctrl_handlers.hpp"
#include "dataplane.hpp"
#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif {
namespace {

// 802.3ad wants a TX burst on every bond at least each 100 ms.
constexpr uint32_t kLacpTickUs = 50'000;

class NetifModuleImpl final : public NetifModule {
 public:
  const char* name() const override { return "netif"; }
  Netif& netif() override { return api_; }

  void configure(core::ConfigTable& root) override { cfg_ = read_netif_config(root); }
  std::vector<std::string> pci_devices() const override { return netif::pci_devices(cfg_); }

  void init(core::ModuleContext& ctx) override {
    dp_.open(cfg_, ctx.runtime);
    ctx.runtime.add_worker_job({"netif.rx", &Dataplane::worker_job, &dp_, core::Job::When::every_loop, 1, 0});
    ctx.runtime.add_master_job({"netif.master", &Dataplane::master_job, &dp_, core::Job::When::every_loop, 1, 0});
    if (dp_.has_lacp_bond()) {
      ctx.runtime.add_master_job({"netif.lacp", &Dataplane::lacp_tick_job, &dp_, core::Job::When::every_interval, 1,
                                  kLacpTickUs});
    }
    ctx.runtime.add_master_job({"netif.link_watch", &Dataplane::link_watch_job, &dp_,
                                core::Job::When::every_interval, 1, cfg_.link_poll_ms * 1000});
    register_ctrl_handlers(ctx.ctrl, dp_);
    opened_ = true;
  }

  void stop() override {
    if (opened_) dp_.close();
    opened_ = false;
  }

 private:
  NetifConfig cfg_;
  Dataplane dp_;
  Netif api_{dp_};
  bool opened_ = false;
};

}  // namespace

std::unique_ptr<NetifModule> make_netif_module() { return std::make_unique<NetifModuleImpl>(); }

}  // namespace fulcrum::netif
