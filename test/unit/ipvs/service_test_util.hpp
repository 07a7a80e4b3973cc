#pragma once
// Keys, specs and dests for the service tests, written as ipvsadm's arguments read.

#include <arpa/inet.h>

#include <string>

#include "fulcrum/ipvs/service.hpp"

namespace svc_test {

using namespace fulcrum::ipvs;

inline IpAddr addr(const std::string& text, Family* family = nullptr) {
  IpAddr a;
  Family f = Family::v4;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) != 1) {
    a = IpAddr{};
    f = Family::v6;
    if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) != 1) throw std::invalid_argument(text);
  }
  if (family != nullptr) *family = f;
  return a;
}

inline ServiceKey key(const std::string& vip, uint16_t port, uint8_t proto = kProtoTcp) {
  ServiceKey k;
  k.addr = addr(vip, &k.family);
  k.port = port_be(port);
  k.protocol = proto;
  return k;
}

inline ServiceSpec spec(const std::string& vip, uint16_t port, const std::string& sched = "rr",
                        uint8_t proto = kProtoTcp) {
  ServiceSpec s;
  s.key = key(vip, port, proto);
  s.scheduler = sched;
  return s;
}

inline DestId dest_id(const std::string& a, uint16_t port) {
  DestId id;
  id.addr = addr(a, &id.family);
  id.port = port_be(port);
  return id;
}

inline DestSpec dest(const std::string& a, uint16_t port, int32_t weight = 1,
                     ForwardMethod fwd = ForwardMethod::fullnat) {
  DestSpec d;
  d.id = dest_id(a, port);
  d.weight = weight;
  d.forward = fwd;
  return d;
}

}  // namespace svc_test
