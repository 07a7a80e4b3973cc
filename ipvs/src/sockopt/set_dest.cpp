// IP_VS_SO_SET_ADDDEST, _EDITDEST, _DELDEST: an ip_vs_service_user and an ip_vs_dest_user, 68 bytes. The
// kernel's order: the service's checks (protocol EFAULT, lookup ESRCH), then weight and thresholds (ERANGE),
// then the dest's lookup (EEXIST on add, ENOENT on edit and delete).

#include <cerrno>
#include <cstdio>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

int set_dest(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto u = read_at<ip_vs_service_user>(in);
  const auto d = read_at<ip_vs_dest_user>(in, sizeof(ip_vs_service_user));
  const uint32_t cmd = in.id;
  if (!valid_protocol(u.protocol)) return fail(out, EFAULT, protocol_problem(u.protocol));
  if (u.fwmark != 0) return fail(out, ESRCH, "fwmark " + std::to_string(u.fwmark) + ": no such service");
  const ServiceKey key = key_of(u);
  ServiceInfo svc;
  if (Status st = c.services.get_service(key, &svc); !st.ok()) return fail(out, st);

  DestSpec dest;
  dest.id = dest_id_of(d);
  const std::string who = "service " + to_string(key) + ": real server " + to_string(dest.id);
  if (cmd == IP_VS_SO_SET_DELDEST) {
    const Status st = c.services.del_dest(key, dest.id);
    return st.ok() ? 0 : fail(out, st);
  }
  if (d.weight < 0) return fail(out, ERANGE, who + ": weight " + std::to_string(d.weight) + " is negative");
  if (d.l_threshold > d.u_threshold) {
    return fail(out, ERANGE, who + ": l_threshold " + std::to_string(d.l_threshold) + " is above u_threshold " +
                                 std::to_string(d.u_threshold));
  }
  const auto fwd = forward_method_from_conn_flags(d.conn_flags);
  if (!fwd) {
    return fail(out, EINVAL, who + ": conn_flags " + hex(d.conn_flags) + ": forwarding method " +
                                 std::to_string(d.conn_flags & IP_VS_CONN_F_FWD_MASK) +
                                 " is not masq (0), tunnel (2), droute (3) or fullnat (5)");
  }
  dest.forward = *fwd;
  // The binding the stock tools can not express: a service set to run its NAT dests as FullNAT does so
  // for what keepalived adds with lb_kind NAT.
  if (dest.forward == ForwardMethod::masq && svc.spec.forward == ForwardMethod::fullnat) {
    dest.forward = ForwardMethod::fullnat;
  }
  dest.weight = d.weight;
  dest.u_threshold = d.u_threshold;
  dest.l_threshold = d.l_threshold;
  const Status st = cmd == IP_VS_SO_SET_ADDDEST ? c.services.add_dest(key, dest) : c.services.edit_dest(key, dest);
  return st.ok() ? 0 : fail(out, st);
}

}  // namespace

void register_set_dest(ctrl::Registry& r, Ctx c) {
  constexpr uint32_t n = sizeof(ip_vs_service_user) + sizeof(ip_vs_dest_user);
  const auto h = [c](const ctrl::Request& in, ctrl::Response& out) { return set_dest(c, in, out); };
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_ADDDEST, "ipvs.SET_ADDDEST", n, n, h});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_EDITDEST, "ipvs.SET_EDITDEST", n, n, h});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_DELDEST, "ipvs.SET_DELDEST", n, n, h});
}

}  // namespace fulcrum::ipvs::sockopt
