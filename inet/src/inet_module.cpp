// The inet module: reads [inet], [ipv4] and [ipv6] before EAL; builds the tables and the master's side after.

#include "fulcrum/inet/inet_module.hpp"

namespace fulcrum::inet {
namespace {

class InetModuleImpl final : public InetModule {
 public:
  explicit InetModuleImpl(netif::Netif& netif) : inet_(netif) {}
  const char* name() const override { return "inet"; }
  Inet& inet() override { return inet_; }
  void configure(core::ConfigTable& root) override { inet_.configure(root); }
  void init(core::ModuleContext& ctx) override { inet_.init(ctx); }
  void stop() override { inet_.stop(); }

 private:
  Inet inet_;
};

}  // namespace

std::unique_ptr<InetModule> make_inet_module(netif::Netif& netif) { return std::make_unique<InetModuleImpl>(netif); }

}  // namespace fulcrum::inet
