// The ipv6 module: Neighbour Discovery and the IPv6 packet path, on the tables of the inet module.

#include "fulcrum/ipv6/ipv6_module.hpp"

#include "ipv6.hpp"

namespace fulcrum::ipv6 {
namespace {

class Ipv6Module final : public core::Module {
 public:
  explicit Ipv6Module(inet::Inet& inet) : ipv6_(inet) {}
  const char* name() const override { return "ipv6"; }
  void init(core::ModuleContext& ctx) override { ipv6_.init(ctx); }
  void stop() override { ipv6_.stop(); }

 private:
  Ipv6 ipv6_;
};

}  // namespace

std::unique_ptr<core::Module> make_ipv6_module(inet::Inet& inet) { return std::make_unique<Ipv6Module>(inet); }

}  // namespace fulcrum::ipv6
