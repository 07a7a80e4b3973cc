// Dest identity: its canonical order and its text form.

#include <cstring>
#include <string>

#include <arpa/inet.h>

#include "fulcrum/ipvs/dest.hpp"

namespace fulcrum::ipvs {

std::strong_ordering DestId::operator<=>(const DestId& o) const {
  if (family != o.family) return family <=> o.family;
  const int c = std::memcmp(addr.bytes.data(), o.addr.bytes.data(), addr_len(family));
  if (c != 0) return c <=> 0;
  return port_host(port) <=> port_host(o.port);
}

std::string to_string(Family f, const IpAddr& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(f == Family::v4 ? AF_INET : AF_INET6, a.bytes.data(), text, sizeof text);
  return text;
}

std::string to_string(const DestId& id) {
  const std::string text = to_string(id.family, id.addr);
  const std::string port = std::to_string(port_host(id.port));
  return id.family == Family::v4 ? text + ":" + port : "[" + text + "]:" + port;
}

}  // namespace fulcrum::ipvs
