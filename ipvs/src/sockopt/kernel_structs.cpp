#include "kernel_structs.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace fulcrum::ipvs::sockopt {

bool valid_protocol(uint16_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp;
}

std::string protocol_problem(uint16_t protocol) {
  return "protocol " + std::to_string(protocol) + ": must be TCP (6), UDP (17) or SCTP (132)";
}

ServiceKey key_of(uint16_t protocol, uint32_t addr_be, uint16_t port_be) {
  ServiceKey k;
  k.protocol = static_cast<uint8_t>(protocol);
  k.family = Family::v4;
  std::memcpy(k.addr.bytes.data(), &addr_be, 4);
  k.port = port_be;
  return k;
}

ServiceKey key_of(const ip_vs_service_user& u) { return key_of(u.protocol, u.addr, u.port); }

std::optional<std::string> sched_name_of(const char (&name)[IP_VS_SCHEDNAME_MAXLEN]) {
  const size_t n = strnlen(name, sizeof name);
  if (n == sizeof name) return std::nullopt;
  return std::string(name, n);
}

DestId dest_id_of(const ip_vs_dest_user& d) {
  DestId id;
  id.family = Family::v4;
  std::memcpy(id.addr.bytes.data(), &d.addr, 4);
  id.port = d.port;
  return id;
}

// The kernel's user struct has 32-bit counts and rates; it truncates, as ip_vs_export_stats_user does.
void export_stats(ip_vs_stats_user& out, const Stats& s, const Rates& r) {
  out.conns = static_cast<uint32_t>(s.conns);
  out.inpkts = static_cast<uint32_t>(s.inpkts);
  out.outpkts = static_cast<uint32_t>(s.outpkts);
  out.inbytes = s.inbytes;
  out.outbytes = s.outbytes;
  out.cps = static_cast<uint32_t>(r.cps);
  out.inpps = static_cast<uint32_t>(r.inpps);
  out.outpps = static_cast<uint32_t>(r.outpps);
  out.inbps = static_cast<uint32_t>(r.inbps);
  out.outbps = static_cast<uint32_t>(r.outbps);
}

void fill_service_entry(ip_vs_service_entry& e, const ServiceInfo& info, const Rates& r) {
  const ServiceSpec& s = info.spec;
  e.protocol = s.key.protocol;
  std::memcpy(&e.addr, s.key.addr.bytes.data(), 4);
  e.port = s.key.port;
  e.fwmark = 0;
  std::memset(e.sched_name, 0, sizeof e.sched_name);
  std::memcpy(e.sched_name, s.scheduler.data(), std::min(s.scheduler.size(), sizeof e.sched_name - 1));
  // The kernel reports HASHED on every service in its table; ipvsadm ignores it.
  e.flags = s.flags | kSvcHashed;
  e.timeout = s.timeout_s;
  e.netmask = htonl(s.netmask.value_or(default_netmask(s.key.family)));
  e.num_dests = info.num_dests;
  export_stats(e.stats, info.stats, r);
}

uint32_t kernel_forward(ForwardMethod m) {
  return m == ForwardMethod::fullnat ? IP_VS_CONN_F_MASQ : static_cast<uint32_t>(m);
}

void fill_dest_entry(ip_vs_dest_entry& e, const DestInfo& d, const Rates& r) {
  std::memcpy(&e.addr, d.spec.id.addr.bytes.data(), 4);
  e.port = d.spec.id.port;
  const uint32_t fwd = kernel_forward(d.spec.forward);
  e.conn_flags = fwd | kConnFlagInactive | (fwd != IP_VS_CONN_F_MASQ ? kConnFlagNoOutput : 0);
  e.weight = d.spec.weight;
  e.u_threshold = d.spec.u_threshold;
  e.l_threshold = d.spec.l_threshold;
  e.activeconns = d.activeconns;
  e.inactconns = d.inactconns;
  e.persistconns = 0;
  export_stats(e.stats, d.stats, r);
}

}  // namespace fulcrum::ipvs::sockopt
