#pragma once
// The tables behind stock_outputs.hpp, as ipvsadm's model: each is what the stand-in kernel held when stock
// ipvsadm printed the matching output.

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "fulcrum/ctrl/proto/ipvs_conn.hpp"
#include "model.hpp"

namespace fulcrum::ipvsadm::test {

inline Addr addr(const char* text) {
  Addr a;
  if (inet_pton(AF_INET, text, a.bytes.data()) == 1) {
    a.family = 4;
  } else {
    inet_pton(AF_INET6, text, a.bytes.data());
    a.family = 6;
  }
  return a;
}

inline Service service(uint16_t proto, const char* vip, uint16_t port, const char* sched, uint32_t flags = 0,
                       uint32_t timeout = 0, uint32_t netmask = 0xffffffff) {
  Service s;
  s.protocol = proto;
  s.addr = addr(vip);
  s.port = port;
  s.sched = sched;
  s.flags = flags;
  s.timeout = timeout;
  s.netmask = netmask;
  return s;
}

inline Dest dest(const char* ip, uint16_t port, uint32_t forward, int32_t weight, uint32_t active = 0,
                 uint32_t inact = 0) {
  Dest d;
  d.addr = addr(ip);
  d.port = port;
  d.forward = forward;
  d.weight = weight;
  d.activeconns = active;
  d.inactconns = inact;
  return d;
}

// Counters past 100 million (scaled with K/M), a tunnel, thresholds, persistence with a netmask, scheduler
// flags, an fwmark service, and addresses whose order shows stock's wrapping comparison (200.0.0.1 sorts
// before 10.0.0.1). In the daemon's order, which --nosort keeps.
inline std::vector<Service> state1() {
  std::vector<Service> v;
  Service a = service(kProtoTcp, "198.18.0.100", 80, "rr");
  a.stats = Stats{12, 3456, 789, 123456789, 9876543210ULL, 5, 60, 70, 8000, 90000};
  Dest a1 = dest("198.18.1.2", 80, fwd_masq, 5, 3, 7);
  a1.stats = Stats{10, 2000, 1500, 100000000, 999999999, 1, 2, 3, 4000000, 705032704};
  Dest a2 = dest("198.18.1.3", 8080, fwd_droute, 1);
  a2.u_threshold = 100;
  a2.l_threshold = 50;
  a.dests = {a1, a2};
  v.push_back(a);

  Service b = service(kProtoUdp, "198.18.0.101", 53, "wlc", svc_persistent, 360, 0xffffff00);
  Dest b1 = dest("198.18.1.4", 53, fwd_tunnel, 0);
  b1.persistconns = 2;
  b.dests = {b1};
  v.push_back(b);

  v.push_back(service(kProtoTcp, "10.0.0.1", 443, "sh", svc_persistent | svc_sched1 | svc_sched2, 300));
  v.push_back(service(kProtoTcp, "200.0.0.1", 443, "mh"));
  Service fwm = service(kProtoTcp, "0.0.0.0", 0, "lc");
  fwm.fwmark = 7;
  v.push_back(fwm);
  return v;
}

// Scheduler flags by scheduler, one-packet scheduling, port 0, weights at the ends, the kernel's "local"
// method and FullNAT (5).
inline std::vector<Service> state2() {
  std::vector<Service> v;
  v.push_back(service(kProtoTcp, "1.0.0.1", 80, "rr", svc_sched1 | svc_sched2 | svc_sched3));
  v.push_back(service(kProtoTcp, "1.0.0.2", 80, "sh", svc_sched1 | svc_sched2 | svc_sched3));
  v.push_back(service(kProtoTcp, "1.0.0.3", 80, "mh", svc_persistent | svc_sched1 | svc_sched2 | svc_sched3, 10));
  v.push_back(service(kProtoUdp, "1.0.0.4", 53, "rr", svc_onepacket));
  v.push_back(service(kProtoUdp, "1.0.0.5", 53, "rr", svc_persistent | svc_onepacket, 20, 0xffff0000));
  v.push_back(service(kProtoTcp, "1.0.0.6", 80, "mh", svc_sched2));
  Service z = service(kProtoTcp, "1.0.0.7", 0, "wlc", svc_persistent, 360);
  z.dests = {dest("1.0.1.1", 0, fwd_masq, 65535, 4294967295U), dest("1.0.1.2", 0, fwd_local, -1),
             dest("1.0.1.3", 0, fwd_fullnat, 1)};
  v.push_back(z);
  return v;
}

inline std::vector<Service> state3() {
  std::vector<Service> v;
  Service u = service(kProtoUdp, "1.0.0.4", 53, "rr", svc_persistent | svc_onepacket | svc_sched1, 30, 0xffffff00);
  u.dests = {dest("1.0.1.1", 53, fwd_tunnel, 1)};
  v.push_back(u);
  Service t = service(kProtoTcp, "255.255.255.250", 65535, "wrr");
  t.dests = {dest("255.255.255.251", 65535, fwd_masq, 1)};
  v.push_back(t);
  return v;
}

inline ctrl::ipvs_conn::ConnEntry conn(uint8_t proto, const char* c, uint16_t cport, const char* v, uint16_t vport,
                                       const char* d, uint16_t dport, const char* state, uint32_t expires_s) {
  ctrl::ipvs_conn::ConnEntry e{};
  e.protocol = proto;
  const Addr ca = addr(c), va = addr(v), da = addr(d);
  e.family = ca.family;
  std::memcpy(e.caddr, ca.bytes.data(), 16);
  std::memcpy(e.vaddr, va.bytes.data(), 16);
  std::memcpy(e.daddr, da.bytes.data(), 16);
  e.cport = htons(cport);
  e.vport = htons(vport);
  e.dport = htons(dport);
  e.expires_ms = expires_s * 1000 + 400;  // a part second is dropped, as the kernel's jiffies / HZ
  std::strncpy(e.state_name, state, sizeof e.state_name - 1);
  return e;
}

inline std::vector<ctrl::ipvs_conn::ConnEntry> conns1() {
  return {conn(kProtoTcp, "198.18.10.2", 54321, "198.18.0.100", 80, "198.18.1.2", 80, "ESTABLISHED", 899),
          conn(kProtoUdp, "198.18.10.2", 53, "198.18.0.101", 53, "198.18.1.4", 53, "UDP", 299),
          conn(kProtoTcp, "10.0.0.1", 8080, "198.18.0.100", 80, "198.18.1.2", 80, "SYN_RECV", 59),
          conn(kProtoTcp, "2001:db8::2", 54321, "2001:db8::100", 80, "2001:db8::1:2", 80, "FIN_WAIT", 119),
          conn(kProtoTcp, "198.18.10.2", 54322, "198.18.0.100", 80, "198.18.1.2", 80, "TIME_WAIT", 3725)};
}

}  // namespace fulcrum::ipvsadm::test
