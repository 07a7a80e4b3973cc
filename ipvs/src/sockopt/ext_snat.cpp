// Extension message ipvs_msg::kGetSnatRules: the SNAT rules ([[snat]], snat_rule.hpp), for Fulcrum's
// ipvsadm --list-snat. Read-only: the rules are set in the config.

#include <cstring>

#include "ext_util.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int get_snat(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  int rc = 0;
  if (!version_ok(read_at<msg::VersionQuery>(in).version, in, out, rc)) return rc;
  const std::vector<SnatRule>& all = c.services.snat_rules().specs();
  put_head(out.payload, all.size(), Page{0, all.size()});
  for (const SnatRule& r : all) {
    msg::SnatRuleEntry e{};
    e.family = static_cast<uint8_t>(r.family);
    e.prefix = r.prefix;
    e.protocol = r.protocol;
    std::memcpy(e.source, r.source.bytes.data(), sizeof e.source);
    e.dport_min = r.dport_min;
    e.dport_max = r.dport_max;
    e.num_laddrs = static_cast<uint32_t>(r.laddrs.size());
    append(out.payload, e);
    put_laddrs(out.payload, r.family, r.laddrs);
  }
  return 0;
}

}  // namespace

void register_ext_snat(ctrl::Registry& r, Ctx c) {
  r.add(kOwner, spec_of<msg::VersionQuery>(ctrl::Kind::get, msg::kGetSnatRules, "ipvs.snat_rules",
                                           [c](const ctrl::Request& in, ctrl::Response& out) {
                                             return get_snat(c, in, out);
                                           }));
}

}  // namespace fulcrum::ipvs::sockopt
