// Reading and printing addresses the way stock ipvsadm does (see address.hpp).

#include "address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace fulcrum::ipvsadm {
namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// strtol over the whole text, in [min, max]; stock ipvsadm's rule for ports and numbers.
std::optional<long> whole_number(const std::string& s, long min, long max) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<in_addr> ipv4_by_name(const std::string& host) {
  in_addr a{};
  if (inet_aton(host.c_str(), &a) != 0) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return std::nullopt;
  std::memcpy(&a, &reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr, sizeof a);
  freeaddrinfo(res);
  return a;
}

std::optional<uint16_t> port_by_name(const std::string& text, uint16_t protocol) {
  if (auto n = whole_number(text, 0, 65535)) return static_cast<uint16_t>(*n);
  const char* proto = service_proto_name(protocol);
  if (proto == nullptr) return std::nullopt;
  const servent* s = getservbyname(text.c_str(), proto);
  if (s == nullptr) return std::nullopt;
  return ntohs(static_cast<uint16_t>(s->s_port));
}

}  // namespace

const char* service_proto_name(uint16_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "tcp";
    case kProtoUdp:
      return "udp";
    case kProtoSctp:
      return "sctp";
    default:
      return nullptr;
  }
}

int parse_service_address(const std::string& text, uint16_t protocol, Addr& addr, uint16_t& port) {
  if (text.empty() || all_digits(text)) return parsed_none;
  std::string host = text;
  std::optional<std::string> port_text;
  if (text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return parsed_none;
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  }
  Addr a;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    a.family = 6;
    std::memcpy(a.bytes.data(), &v6, 16);
  } else {
    // A bracketed address must be IPv6: "[198.18.0.1]:80" is refused rather than read without its port.
    if (text[0] == '[') return parsed_none;
    const size_t colon = host.rfind(':');
    if (colon != std::string::npos) {
      port_text = host.substr(colon + 1);
      host.resize(colon);
    }
    const auto v4 = ipv4_by_name(host);
    if (!v4) return parsed_none;
    a.family = 4;
    std::memcpy(a.bytes.data(), &*v4, 4);
  }
  int result = parsed_addr;
  uint16_t p = 0;
  if (port_text) {
    const auto found = port_by_name(*port_text, protocol);
    if (!found) return parsed_none;
    p = *found;
    result |= parsed_port;
  }
  addr = a;
  if (result & parsed_port) port = p;
  return result;
}

std::optional<Addr> parse_literal_address(const std::string& text) {
  Addr a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::optional<uint32_t> parse_ipv4_netmask(const std::string& text) {
  const auto a = ipv4_by_name(text);
  if (!a) return std::nullopt;
  return ntohl(a->s_addr);
}

std::string address_text(const Addr& addr) {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(addr.family == 6 ? AF_INET6 : AF_INET, addr.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string addrport_text(const Addr& addr, uint16_t port, uint16_t protocol, bool numeric) {
  std::string host;
  std::string service = std::to_string(port);
  if (!numeric) {
    if (addr.family == 4) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      std::memcpy(&sa.sin_addr, addr.bytes.data(), 4);
      char name[NI_MAXHOST];
      if (getnameinfo(reinterpret_cast<const sockaddr*>(&sa), sizeof sa, name, sizeof name, nullptr, 0, NI_NAMEREQD) ==
          0) {
        host = name;
      }
    }
    if (const char* proto = service_proto_name(protocol)) {
      if (const servent* s = getservbyport(htons(port), proto)) service = s->s_name;
    }
  }
  if (host.empty()) host = address_text(addr);
  if (addr.family == 6) return "[" + host + "]:" + service;
  return host + ":" + service;
}

uint32_t address_word(const Addr& addr, int i) {
  uint32_t w;
  std::memcpy(&w, addr.bytes.data() + 4 * i, 4);
  return ntohl(w);
}

}  // namespace fulcrum::ipvsadm
