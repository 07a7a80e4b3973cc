// IP_VS_SO_GET_SERVICES, _GET_SERVICE and _GET_DESTS: ipvsadm -L. The caller's buffer comes as the request;
// the reply is what the kernel writes into it, from its start (the bridge copies it over the buffer).
//
// GET_SERVICES and GET_DESTS must be exactly their head plus as many entries as the head's count says (the
// kernel's EINVAL otherwise); the kernel then writes at most that many entries and never the count itself.

#include <arpa/inet.h>

#include <cerrno>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

constexpr size_t kServicesHead = sizeof(ip_vs_get_services);
constexpr size_t kServiceEntry = sizeof(ip_vs_service_entry);
constexpr size_t kDestsHead = sizeof(ip_vs_get_dests);
constexpr size_t kDestEntry = sizeof(ip_vs_dest_entry);

int wrong_count(const ctrl::Request& in, ctrl::Response& out, const char* field, uint32_t n, size_t head,
                size_t entry) {
  return malformed(in, out, EINVAL,
                   std::string(field) + " " + std::to_string(n) + " needs a buffer of " + std::to_string(head) +
                       " + " + std::to_string(entry) + " * " + std::to_string(n) + " = " +
                       std::to_string(head + entry * uint64_t{n}) + " bytes, got " +
                       std::to_string(in.payload.size()));
}

int get_services(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto head = read_at<ip_vs_get_services>(in);
  if (in.payload.size() != kServicesHead + kServiceEntry * uint64_t{head.num_services}) {
    return wrong_count(in, out, "num_services", head.num_services, kServicesHead, kServiceEntry);
  }
  out.payload.assign(in.payload.begin(), in.payload.begin() + kServicesHead);
  uint32_t count = 0;
  for (const ServiceInfo& s : c.services.list_services()) {
    if (count >= head.num_services) break;
    if (s.spec.key.family != Family::v4) continue;  // the struct can not say IPv6
    ip_vs_service_entry e{};
    fill_service_entry(e, s, c.services.service_rates(s.spec.key));
    append(out.payload, e);
    ++count;
  }
  return 0;
}

int get_service(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  auto e = read_at<ip_vs_service_entry>(in);
  if (e.fwmark != 0) return fail(out, ESRCH, "fwmark " + std::to_string(e.fwmark) + ": no such service");
  const ServiceKey key = key_of(e.protocol, e.addr, e.port);
  ServiceInfo info;
  if (Status st = c.services.get_service(key, &info); !st.ok()) return fail(out, st);
  fill_service_entry(e, info, c.services.service_rates(key));
  append(out.payload, e);
  return 0;
}

int get_dests(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto head = read_at<ip_vs_get_dests>(in);
  if (in.payload.size() != kDestsHead + kDestEntry * uint64_t{head.num_dests}) {
    return wrong_count(in, out, "num_dests", head.num_dests, kDestsHead, kDestEntry);
  }
  if (head.fwmark != 0) return fail(out, ESRCH, "fwmark " + std::to_string(head.fwmark) + ": no such service");
  const ServiceKey key = key_of(head.protocol, head.addr, head.port);
  std::vector<DestInfo> dests;
  std::vector<Rates> rates;
  if (Status st = c.services.list_dests(key, &dests); !st.ok()) return fail(out, st);
  if (Status st = c.services.dest_rates(key, dests, &rates); !st.ok()) return fail(out, st);
  out.payload.assign(in.payload.begin(), in.payload.begin() + kDestsHead);
  for (size_t i = 0; i < dests.size() && i < head.num_dests; ++i) {
    ip_vs_dest_entry e{};
    fill_dest_entry(e, dests[i], rates[i]);
    append(out.payload, e);
  }
  return 0;
}

}  // namespace

void register_get_services(ctrl::Registry& r, Ctx c) {
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_SERVICES, "ipvs.GET_SERVICES", kServicesHead, ctrl::kMaxPayload,
                 [c](const ctrl::Request& in, ctrl::Response& out) { return get_services(c, in, out); }});
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_SERVICE, "ipvs.GET_SERVICE", kServiceEntry, ctrl::kMaxPayload,
                 [c](const ctrl::Request& in, ctrl::Response& out) { return get_service(c, in, out); }});
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_DESTS, "ipvs.GET_DESTS", kDestsHead, ctrl::kMaxPayload,
                 [c](const ctrl::Request& in, ctrl::Response& out) { return get_dests(c, in, out); }});
}

}  // namespace fulcrum::ipvs::sockopt
