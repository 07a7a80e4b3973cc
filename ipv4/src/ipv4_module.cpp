// The ipv4 module: ARP and the IPv4 packet path, on the tables of the inet module.

#include "fulcrum/ipv4/ipv4_module.hpp"

#include "ipv4.hpp"

namespace fulcrum::ipv4 {
namespace {

class Ipv4Module final : public core::Module {
 public:
  explicit Ipv4Module(inet::Inet& inet) : ipv4_(inet) {}
  const char* name() const override { return "ipv4"; }
  void init(core::ModuleContext& ctx) override { ipv4_.init(ctx); }
  void stop() override { ipv4_.stop(); }

 private:
  Ipv4 ipv4_;
};

}  // namespace

std::unique_ptr<core::Module> make_ipv4_module(inet::Inet& inet) { return std::make_unique<Ipv4Module>(inet); }

}  // namespace fulcrum::ipv4
