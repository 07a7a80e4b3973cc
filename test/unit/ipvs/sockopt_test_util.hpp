#pragma once
// A registry with the ipvs sockopt and extension handlers over a ServiceManager without lcores, and the
// requests the tests send to it: raw bytes (the traces' hexdumps of what stock ipvsadm and keepalived sent)
// or the <linux/ip_vs.h> structs.

#include <arpa/inet.h>
#include <linux/ip_vs.h>

#include <cctype>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "fulcrum/ipvs/sockopt.hpp"

namespace sockopt_test {

using namespace fulcrum;
using Bytes = std::vector<unsigned char>;

// "06000000 c6120064 ..." as the traces print a payload: bytes in memory order, grouped by four.
inline Bytes hex(const std::string& text) {
  Bytes out;
  std::string digits;
  for (char ch : text) {
    if (std::isxdigit(static_cast<unsigned char>(ch))) digits += ch;
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

template <class T>
Bytes bytes_of(const T& v) {
  const auto* p = reinterpret_cast<const unsigned char*>(&v);
  return Bytes(p, p + sizeof v);
}

template <class A, class B>
Bytes concat(const A& a, const B& b) {
  Bytes out = bytes_of(a);
  const Bytes tail = bytes_of(b);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

struct Reply {
  int status = 0;
  Bytes payload;
  std::string text() const {
    if (payload.empty() || payload.back() != 0) return {};
    return std::string(reinterpret_cast<const char*>(payload.data()));
  }
  template <class T>
  T at(size_t offset = 0) const {
    T v;
    std::memcpy(&v, payload.data() + offset, sizeof v);
    return v;
  }
};

class Daemon {
 public:
  static constexpr unsigned kWorkers = 2;
  static constexpr uint32_t kTablePerWorker = 2048;

  Daemon() : services(nullptr, kWorkers), settings(ipvs::ConnTimeouts{}, kTablePerWorker, kWorkers) {
    ipvs::register_sockopt_handlers(registry, services, settings);
  }

  Reply call(ctrl::Kind kind, uint32_t id, const Bytes& payload) {
    Reply r;
    ctrl::Response resp;
    ctrl::Request req{kind, id, std::span<const unsigned char>(payload.data(), payload.size()), ctrl::Peer{1, 0, 0}};
    r.status = registry.dispatch(req, resp);
    r.payload = std::move(resp.payload);
    return r;
  }
  Reply set(uint32_t id, const Bytes& payload = {}) { return call(ctrl::Kind::set, id, payload); }
  Reply get(uint32_t id, const Bytes& payload) { return call(ctrl::Kind::get, id, payload); }
  Reply get(uint32_t id, size_t len) { return get(id, Bytes(len, 0)); }
  template <class T>
  Reply set_struct(uint32_t id, const T& v) { return set(id, bytes_of(v)); }
  template <class T>
  Reply get_struct(uint32_t id, const T& v) { return get(id, bytes_of(v)); }

  ipvs::ServiceManager services;
  ipvs::ConnSettings settings;
  ctrl::Registry registry;
};

inline uint32_t ip4(const char* text) {
  uint32_t a = 0;
  inet_pton(AF_INET, text, &a);
  return a;
}

inline ip_vs_service_user svc_user(const char* vip, uint16_t port, const char* sched = "rr",
                                   uint16_t proto = IPPROTO_TCP) {
  ip_vs_service_user u{};
  u.protocol = proto;
  u.addr = ip4(vip);
  u.port = htons(port);
  std::strncpy(u.sched_name, sched, sizeof u.sched_name - 1);
  u.netmask = 0xffffffff;
  return u;
}

inline ip_vs_dest_user dest_user(const char* rip, uint16_t port, int weight = 1, unsigned fwd = IP_VS_CONN_F_MASQ) {
  ip_vs_dest_user d{};
  d.addr = ip4(rip);
  d.port = htons(port);
  d.conn_flags = fwd;
  d.weight = weight;
  return d;
}

// The GET_SERVICES / GET_DESTS buffers ipvsadm sends: the head with its count, and room for that many.
inline Bytes services_buf(uint32_t n) {
  Bytes b(sizeof(ip_vs_get_services) + n * sizeof(ip_vs_service_entry), 0);
  std::memcpy(b.data(), &n, 4);
  return b;
}

inline Bytes dests_buf(const ip_vs_service_user& u, uint32_t n) {
  ip_vs_get_dests head{};
  head.protocol = u.protocol;
  head.addr = u.addr;
  head.port = u.port;
  head.num_dests = n;
  Bytes b = bytes_of(head);
  b.resize(sizeof head + n * sizeof(ip_vs_dest_entry), 0);
  return b;
}

}  // namespace sockopt_test
