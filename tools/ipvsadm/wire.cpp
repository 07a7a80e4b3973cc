// Model <-> wire (see wire.hpp). Ports and addresses go to network order here and nowhere else.

#include "wire.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace fulcrum::ipvsadm {
namespace {

template <size_t N>
void copy_name(char (&dst)[N], const std::string& src) {
  std::memset(dst, 0, N);
  std::memcpy(dst, src.data(), std::min(src.size(), N - 1));
}

template <size_t N>
std::string name_of(const char (&src)[N]) {
  return std::string(src, strnlen(src, N));
}

Stats decode_stats(const msg::StatsRates& s) {
  return Stats{s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes, s.cps, s.inpps, s.outpps, s.inbps, s.outbps};
}

}  // namespace

msg::ServiceKey encode_key(uint16_t protocol, const Addr& addr, uint16_t port) {
  msg::ServiceKey k{};
  k.protocol = static_cast<uint8_t>(protocol);
  k.family = addr.family == 6 ? msg::family_v6 : msg::family_v4;
  k.port = htons(port);
  std::memcpy(k.addr, addr.bytes.data(), msg::kAddrSize);
  return k;
}

msg::ServiceKey encode_key(const Command& cmd) {
  return encode_key(cmd.protocol, cmd.addr, cmd.port);
}

msg::ServiceKey encode_key(const Service& svc) {
  return encode_key(svc.protocol, svc.addr, svc.port);
}

msg::ServiceReq encode_service_req(const Command& cmd) {
  msg::ServiceReq r{};
  r.version = msg::kVersion;
  r.key = encode_key(cmd);
  copy_name(r.sched_name, cmd.sched);
  r.flags = cmd.flags;
  r.timeout_s = cmd.timeout;
  if (cmd.has(opt_netmask)) {
    r.has_netmask = 1;
    r.netmask = cmd.netmask;
  }
  r.forward = cmd.has(opt_fullnat) ? msg::fwd_fullnat : msg::fwd_masq;
  r.toa_off = cmd.has(opt_no_toa) ? 1 : 0;
  return r;
}

msg::DestReq encode_dest_req(const Command& cmd) {
  msg::DestReq r{};
  r.version = msg::kVersion;
  r.key = encode_key(cmd);
  std::memcpy(r.addr, cmd.daddr.bytes.data(), msg::kAddrSize);
  r.port = htons(cmd.dport);
  r.family = cmd.daddr.family == 6 ? msg::family_v6 : msg::family_v4;
  r.forward = static_cast<uint8_t>(cmd.forward);
  r.weight = cmd.weight;
  r.u_threshold = cmd.u_threshold;
  r.l_threshold = cmd.l_threshold;
  return r;
}

msg::ZeroReq encode_zero_req(const Command& cmd) {
  msg::ZeroReq r{};
  r.version = msg::kVersion;
  if (cmd.has(opt_service)) {
    r.key = encode_key(cmd);
  } else {
    r.all = 1;
  }
  return r;
}

msg::LaddrReq encode_laddr_req(const Command& cmd) {
  msg::LaddrReq r{};
  r.version = msg::kVersion;
  r.key = encode_key(cmd);
  r.family = cmd.laddr.family == 6 ? msg::family_v6 : msg::family_v4;
  std::memcpy(r.addr, cmd.laddr.bytes.data(), msg::kAddrSize);
  return r;
}

Addr decode_addr(uint8_t family, const uint8_t* bytes) {
  Addr a;
  a.family = family == msg::family_v6 ? 6 : 4;
  std::memcpy(a.bytes.data(), bytes, 16);
  if (a.family == 4) std::fill(a.bytes.begin() + 4, a.bytes.end(), uint8_t{0});
  return a;
}

Service decode_service(const msg::ServiceEntry& e) {
  Service s;
  s.protocol = e.key.protocol;
  s.addr = decode_addr(e.key.family, e.key.addr);
  s.port = ntohs(e.key.port);
  s.sched = name_of(e.sched_name);
  s.flags = e.flags;
  s.timeout = e.timeout_s;
  s.netmask = e.netmask;
  s.forward = e.forward;
  s.toa_off = e.toa_off != 0;
  s.num_dests = e.num_dests;
  s.num_laddrs = e.num_laddrs;
  s.stats = decode_stats(e.stats);
  return s;
}

Dest decode_dest(const msg::DestEntry& e) {
  Dest d;
  d.addr = decode_addr(e.family, e.addr);
  d.port = ntohs(e.port);
  d.forward = e.forward;
  d.weight = static_cast<int32_t>(e.weight);
  d.u_threshold = e.u_threshold;
  d.l_threshold = e.l_threshold;
  d.activeconns = e.activeconns;
  d.inactconns = e.inactconns;
  d.persistconns = e.persistconns;
  d.stats = decode_stats(e.stats);
  return d;
}

ip_vs_timeout_user encode_timeout(const Command& cmd) {
  ip_vs_timeout_user t{};
  t.tcp_timeout = cmd.tcp_timeout;
  t.tcp_fin_timeout = cmd.tcp_fin_timeout;
  t.udp_timeout = cmd.udp_timeout;
  return t;
}

ip_vs_daemon_user encode_daemon(const Command& cmd) {
  ip_vs_daemon_user d{};
  d.state = static_cast<int>(cmd.daemon_state);
  copy_name(d.mcast_ifn, cmd.mcast_ifn);
  d.syncid = static_cast<int>(cmd.syncid);
  return d;
}

}  // namespace fulcrum::ipvsadm
