// Extension messages for FullNAT local-address groups: ipvs_msg::kAddLaddr, kDelLaddr, kGetLaddrs
// (DPVS's ipvsadm -P, -Q, -G). ServiceManager keeps the groups and checks the addresses.

#include <cerrno>

#include "ext_util.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int set_laddr(Ctx c, bool add, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::LaddrReq>(in);
  int rc = 0;
  ServiceKey key;
  Family f = Family::v4;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  if (!family_ok(q.family, "local address family", out, rc, &f)) return rc;
  if (f != key.family) {
    return fail(out, EAFNOSUPPORT, "local address family " + std::to_string(q.family) + " differs from service " +
                                       to_string(key) + "'s");
  }
  const IpAddr a = addr_of(q.addr, f);
  const Status st = add ? c.services.add_laddr(key, a) : c.services.del_laddr(key, a);
  return st.ok() ? 0 : fail(out, st);
}

int get_laddrs(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ServiceKeyQuery>(in);
  int rc = 0;
  ServiceKey key;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  std::vector<IpAddr> laddrs;
  if (Status st = c.services.list_laddrs(key, &laddrs); !st.ok()) return fail(out, st);
  put_head(out.payload, laddrs.size(), Page{0, laddrs.size()});
  put_laddrs(out.payload, key.family, laddrs);
  return 0;
}

}  // namespace

void register_ext_laddrs(ctrl::Registry& r, Ctx c) {
  using ctrl::Kind;
  using In = const ctrl::Request&;
  using Out = ctrl::Response&;
  r.add(kOwner, spec_of<msg::LaddrReq>(Kind::set, msg::kAddLaddr, "ipvs.laddr_add",
                                       [c](In in, Out out) { return set_laddr(c, true, in, out); }));
  r.add(kOwner, spec_of<msg::LaddrReq>(Kind::set, msg::kDelLaddr, "ipvs.laddr_del",
                                       [c](In in, Out out) { return set_laddr(c, false, in, out); }));
  r.add(kOwner, spec_of<msg::ServiceKeyQuery>(Kind::get, msg::kGetLaddrs, "ipvs.laddrs",
                                              [c](In in, Out out) { return get_laddrs(c, in, out); }));
}

}  // namespace fulcrum::ipvs::sockopt
