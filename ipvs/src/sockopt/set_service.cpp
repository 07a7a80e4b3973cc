// IP_VS_SO_SET_ADD, _EDIT, _DEL, _ZERO (an ip_vs_service_user, 44 bytes) and _FLUSH (no payload), with the
// checks in the order do_ip_vs_set_ctl makes them, so that a request the kernel would refuse for two reasons
// gets the same errno here.

#include <arpa/inet.h>

#include <cerrno>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int set_service(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto u = read_at<ip_vs_service_user>(in);
  const uint32_t cmd = in.id;
  // The kernel's "zero all": a service with no address, port or mark (the protocol is not looked at).
  if (cmd == IP_VS_SO_SET_ZERO && u.fwmark == 0 && u.addr == 0 && u.port == 0) {
    const Status st = c.services.zero_all();
    return st.ok() ? 0 : fail(out, st);
  }
  std::optional<std::string> sched = sched_name_of(u.sched_name);
  if ((cmd == IP_VS_SO_SET_ADD || cmd == IP_VS_SO_SET_EDIT) && !sched) {
    return malformed(in, out, EINVAL, "sched_name: no NUL within its 16 bytes");
  }
  if (!valid_protocol(u.protocol)) return fail(out, EFAULT, protocol_problem(u.protocol));
  const ServiceKey key = key_of(u);
  if (u.fwmark != 0) {
    // Fulcrum keys services by address only; there is no fwmark service to find. ENOSYS, which ipvsadm prints
    // as "Function not implemented" (its text for EOPNOTSUPP is about IPv6).
    if (cmd == IP_VS_SO_SET_ADD) {
      return fail(out, ENOSYS, "fwmark " + std::to_string(u.fwmark) + ": firewall-mark services are not supported");
    }
    return fail(out, ESRCH, "fwmark " + std::to_string(u.fwmark) + ": no such service");
  }
  ServiceInfo cur;
  const Status found = c.services.get_service(key, &cur);
  if (cmd != IP_VS_SO_SET_ADD && !found.ok()) return fail(out, found);

  Status st;
  switch (cmd) {
    case IP_VS_SO_SET_ADD: {
      if (found.ok()) return fail(out, EEXIST, "service " + to_string(key) + ": exists already");
      ServiceSpec spec;
      spec.key = key;
      spec.scheduler = *sched;
      spec.flags = u.flags;
      spec.timeout_s = u.timeout;
      spec.netmask = ntohl(u.netmask);
      st = c.services.add_service(spec);
      break;
    }
    case IP_VS_SO_SET_EDIT: {
      // The struct carries only these; what only Fulcrum knows (forwarding binding, scheduler settings,
      // TOA) stays as it was, so that keepalived's reload does not undo it.
      ServiceSpec spec = cur.spec;
      spec.scheduler = *sched;
      spec.flags = u.flags;
      spec.timeout_s = u.timeout;
      spec.netmask = ntohl(u.netmask);
      st = c.services.edit_service(spec);
      break;
    }
    case IP_VS_SO_SET_DEL: st = c.services.del_service(key); break;
    case IP_VS_SO_SET_ZERO: st = c.services.zero(key); break;
    default: return fail(out, EINVAL, optname(cmd, in.kind) + " is not a service command");
  }
  return st.ok() ? 0 : fail(out, st);
}

int flush(Ctx c, ctrl::Response& out) {
  const Status st = c.services.flush();
  return st.ok() ? 0 : fail(out, st);
}

}  // namespace

void register_set_service(ctrl::Registry& r, Ctx c) {
  constexpr uint32_t n = sizeof(ip_vs_service_user);
  const auto svc = [c](const ctrl::Request& in, ctrl::Response& out) { return set_service(c, in, out); };
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_ADD, "ipvs.SET_ADD", n, n, svc});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_EDIT, "ipvs.SET_EDIT", n, n, svc});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_DEL, "ipvs.SET_DEL", n, n, svc});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_ZERO, "ipvs.SET_ZERO", n, n, svc});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_FLUSH, "ipvs.SET_FLUSH", 0, 0,
                 [c](const ctrl::Request&, ctrl::Response& out) { return flush(c, out); }});
}

}  // namespace fulcrum::ipvs::sockopt
