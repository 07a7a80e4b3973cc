// Extension message ipvs_msg::kGetVipBindings: the per-VIP bindings ([[vip_binding]], vip_binding.hpp), for
// Fulcrum's ipvsadm --list-bindings. Read-only: bindings are set in the config.

#include <cstring>

#include "ext_util.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int get_bindings(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  int rc = 0;
  if (!version_ok(read_at<msg::VersionQuery>(in).version, in, out, rc)) return rc;
  const std::vector<VipBinding>& all = c.services.vip_bindings();
  put_head(out.payload, all.size(), Page{0, all.size()});
  for (const VipBinding& b : all) {
    msg::VipBindingEntry e{};
    e.family = static_cast<uint8_t>(b.family);
    e.forward = static_cast<uint8_t>(b.forward);
    e.toa_off = b.toa ? 0 : 1;
    std::memcpy(e.vip, b.vip.bytes.data(), sizeof e.vip);
    e.num_laddrs = static_cast<uint32_t>(b.laddrs.size());
    append(out.payload, e);
    put_laddrs(out.payload, b.family, b.laddrs);
  }
  return 0;
}

}  // namespace

void register_ext_bindings(ctrl::Registry& r, Ctx c) {
  r.add(kOwner, spec_of<msg::VersionQuery>(ctrl::Kind::get, msg::kGetVipBindings, "ipvs.vip_bindings",
                                           [c](const ctrl::Request& in, ctrl::Response& out) {
                                             return get_bindings(c, in, out);
                                           }));
}

}  // namespace fulcrum::ipvs::sockopt
