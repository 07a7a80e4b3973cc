// Extension messages for services of both families: ipvs_msg::kGetInfo, kGetServices, kGetService,
// kAddService, kEditService, kDelService, kZero (fulcrum/ctrl/proto/ipvs.hpp).

#include <cerrno>

#include "ext_util.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

void put_entry(msg::ServiceEntry& e, const ServiceInfo& info, uint32_t laddrs, const Rates& r) {
  const ServiceSpec& s = info.spec;
  put_key(e.key, s.key);
  std::memcpy(e.sched_name, s.scheduler.data(), std::min(s.scheduler.size(), sizeof e.sched_name - 1));
  e.flags = s.flags;
  e.timeout_s = s.timeout_s;
  e.netmask = s.netmask.value_or(default_netmask(s.key.family));
  e.forward = static_cast<uint8_t>(s.forward);
  e.toa_off = s.toa ? 0 : 1;
  e.num_dests = info.num_dests;
  e.num_laddrs = laddrs;
  put_stats(e.stats, info.stats, r);
}

uint32_t laddr_count(Ctx c, const ServiceKey& key) {
  std::vector<IpAddr> laddrs;
  return c.services.list_laddrs(key, &laddrs).ok() ? static_cast<uint32_t>(laddrs.size()) : 0;
}

int get_info(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  int rc = 0;
  if (!version_ok(read_at<msg::VersionQuery>(in).version, in, out, rc)) return rc;
  msg::Info info{};
  info.version = msg::kVersion;
  info.conn_table_size = c.settings.table_size();
  for (const ServiceInfo& s : c.services.list_services()) {
    ++info.services;
    ++(s.spec.key.family == Family::v4 ? info.services_v4 : info.services_v6);
  }
  info.workers = c.services.workers();
  append(out.payload, info);
  return 0;
}

int get_services(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ListQuery>(in);
  int rc = 0;
  if (!version_ok(q.version, in, out, rc)) return rc;
  Family only = Family::v4;
  if (q.family != msg::family_any && !family_ok(q.family, "family", out, rc, &only)) return rc;
  std::vector<ServiceInfo> all = c.services.list_services();
  if (q.family != msg::family_any) std::erase_if(all, [&](const ServiceInfo& s) { return s.spec.key.family != only; });
  const Page p = page_of(all.size(), q.offset, q.max);
  put_head(out.payload, all.size(), p);
  for (size_t i = p.first; i < p.first + p.count; ++i) {
    msg::ServiceEntry e{};
    put_entry(e, all[i], laddr_count(c, all[i].spec.key), c.services.service_rates(all[i].spec.key));
    append(out.payload, e);
  }
  return 0;
}

int get_service(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ServiceKeyQuery>(in);
  int rc = 0;
  ServiceKey key;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  ServiceInfo info;
  if (Status st = c.services.get_service(key, &info); !st.ok()) return fail(out, st);
  put_head(out.payload, 1, Page{0, 1});
  msg::ServiceEntry e{};
  put_entry(e, info, laddr_count(c, key), c.services.service_rates(key));
  append(out.payload, e);
  return 0;
}

int set_service(Ctx c, bool add, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ServiceReq>(in);
  int rc = 0;
  ServiceSpec spec;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &spec.key)) return rc;
  const auto sched = sched_name_of(q.sched_name);
  if (!sched) return fail(out, EINVAL, "sched_name: no NUL within its 16 bytes");
  if (!forward_ok(q.forward, "forward", out, rc, &spec.forward)) return rc;
  if (q.has_netmask > 1 || q.toa_off > 1) {
    return fail(out, EINVAL, std::string(q.has_netmask > 1 ? "has_netmask " : "toa_off ") +
                                 std::to_string(q.has_netmask > 1 ? q.has_netmask : q.toa_off) + ": must be 0 or 1");
  }
  if (!add) {
    // What the record does not carry (the scheduler's own settings) stays as it was.
    ServiceInfo cur;
    if (Status st = c.services.get_service(spec.key, &cur); !st.ok()) return fail(out, st);
    spec.sched = cur.spec.sched;
  }
  spec.scheduler = *sched;
  spec.flags = q.flags;
  spec.timeout_s = q.timeout_s;
  if (q.has_netmask) spec.netmask = q.netmask;
  spec.toa = q.toa_off == 0;
  const Status st = add ? c.services.add_service(spec) : c.services.edit_service(spec);
  return st.ok() ? 0 : fail(out, st);
}

int del_service(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ServiceKeyQuery>(in);
  int rc = 0;
  ServiceKey key;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  const Status st = c.services.del_service(key);
  return st.ok() ? 0 : fail(out, st);
}

int zero(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::ZeroReq>(in);
  int rc = 0;
  if (!version_ok(q.version, in, out, rc)) return rc;
  if (q.all > 1) return fail(out, EINVAL, "all " + std::to_string(q.all) + ": must be 0 or 1");
  if (q.all == 1) {
    const Status st = c.services.zero_all();
    return st.ok() ? 0 : fail(out, st);
  }
  ServiceKey key;
  if (!key_ok(q.key, out, rc, &key)) return rc;
  const Status st = c.services.zero(key);
  return st.ok() ? 0 : fail(out, st);
}

}  // namespace

void register_ext_services(ctrl::Registry& r, Ctx c) {
  using ctrl::Kind;
  using In = const ctrl::Request&;
  using Out = ctrl::Response&;
  r.add(kOwner, spec_of<msg::VersionQuery>(Kind::get, msg::kGetInfo, "ipvs.info",
                                           [c](In in, Out out) { return get_info(c, in, out); }));
  r.add(kOwner, spec_of<msg::ListQuery>(Kind::get, msg::kGetServices, "ipvs.services",
                                        [c](In in, Out out) { return get_services(c, in, out); }));
  r.add(kOwner, spec_of<msg::ServiceKeyQuery>(Kind::get, msg::kGetService, "ipvs.service",
                                              [c](In in, Out out) { return get_service(c, in, out); }));
  r.add(kOwner, spec_of<msg::ServiceReq>(Kind::set, msg::kAddService, "ipvs.service_add",
                                         [c](In in, Out out) { return set_service(c, true, in, out); }));
  r.add(kOwner, spec_of<msg::ServiceReq>(Kind::set, msg::kEditService, "ipvs.service_edit",
                                         [c](In in, Out out) { return set_service(c, false, in, out); }));
  r.add(kOwner, spec_of<msg::ServiceKeyQuery>(Kind::set, msg::kDelService, "ipvs.service_del",
                                              [c](In in, Out out) { return del_service(c, in, out); }));
  r.add(kOwner, spec_of<msg::ZeroReq>(Kind::set, msg::kZero, "ipvs.zero",
                                      [c](In in, Out out) { return zero(c, in, out); }));
}

}  // namespace fulcrum::ipvs::sockopt
