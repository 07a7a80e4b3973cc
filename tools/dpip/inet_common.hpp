#pragma once
// What dpip's addr, route, neigh, ipv4/ipv6 and ping objects share: addresses and prefixes as the operator
// writes them, device names and MACs in fixed-size records, and lists out of replies. Protocol headers and
// libc only, as every tool.

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "fulcrum/ctrl/proto/inet.hpp"

namespace fulcrum::dpip::inet {

namespace msg = ctrl::inet_msg;

struct Address {
  uint8_t family = 4;
  uint8_t bytes[16] = {};
};

struct PrefixArg {
  Address addr;
  uint8_t len = 0;
  bool has_len = false;
};

inline const char* family_word(int family) { return family == 6 ? "IPv6" : "IPv4"; }

// "198.18.0.1", "2001:db8::1"; `family` 0 takes either.
inline std::optional<Address> parse_address(const std::string& text, int family) {
  Address a;
  if (text.find(':') != std::string::npos) {
    if (family == 4 || inet_pton(AF_INET6, text.c_str(), a.bytes) != 1) return std::nullopt;
    a.family = 6;
    return a;
  }
  if (family == 6 || inet_pton(AF_INET, text.c_str(), a.bytes) != 1) return std::nullopt;
  a.family = 4;
  return a;
}

// ADDR[/LEN], or "default" / "all" / "any" (length 0, family `family` or 4).
inline std::optional<PrefixArg> parse_prefix(const std::string& text, int family) {
  PrefixArg p;
  if (text == "default" || text == "all" || text == "any") {
    p.addr.family = static_cast<uint8_t>(family == 6 ? 6 : 4);
    p.has_len = true;
    return p;
  }
  const size_t slash = text.find('/');
  const auto a = parse_address(text.substr(0, slash), family);
  if (!a) return std::nullopt;
  p.addr = *a;
  const unsigned max = a->family == 4 ? 32 : 128;
  p.len = static_cast<uint8_t>(max);
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const unsigned v = static_cast<unsigned>(std::stoul(len));
    if (v > max) return std::nullopt;
    p.len = static_cast<uint8_t>(v);
    p.has_len = true;
  }
  return p;
}

inline std::string address_text(uint8_t family, const uint8_t* b) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 6 ? AF_INET6 : AF_INET, b, buf, sizeof buf);
  return buf;
}

inline std::string prefix_text(uint8_t family, const uint8_t* b, uint8_t len) {
  if (len == 0) return "default";
  return address_text(family, b) + (len == (family == 6 ? 128 : 32) ? "" : "/" + std::to_string(len));
}

inline bool fill_name(char (&dst)[msg::kNameSize], const std::string& name) {
  if (name.empty() || name.size() >= msg::kNameSize) return false;
  std::memset(dst, 0, sizeof dst);
  std::memcpy(dst, name.data(), name.size());
  return true;
}

inline std::string name_text(const char (&field)[msg::kNameSize]) { return std::string(field, strnlen(field, sizeof field)); }

inline std::optional<std::array<uint8_t, 6>> parse_mac(const std::string& text) {
  std::array<uint8_t, 6> mac{};
  unsigned v[6];
  char tail;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) {
    return std::nullopt;
  }
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(v[i]);
  return mac;
}

inline std::string mac_text(const uint8_t* b) {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return out;
}

// A ListHead and `count` records of T; false (with the message printed) when the reply does not hold them.
template <class T>
bool parse_list(const ctrl::CallReply& reply, std::vector<T>& out, const char* what) {
  msg::ListHead head;
  if (reply.payload.size() < sizeof head) {
    fail(std::string(what) + ": short reply from fulcrumd");
    return false;
  }
  std::memcpy(&head, reply.payload.data(), sizeof head);
  if (head.version != msg::kListVersion) {
    fail(std::string(what) + ": fulcrumd answers version " + std::to_string(head.version) + ", dpip knows " +
         std::to_string(msg::kListVersion));
    return false;
  }
  if (reply.payload.size() != sizeof head + static_cast<size_t>(head.count) * sizeof(T)) {
    fail(std::string(what) + ": malformed reply from fulcrumd");
    return false;
  }
  out.resize(head.count);
  std::memcpy(out.data(), reply.payload.data() + sizeof head, out.size() * sizeof(T));
  return true;
}

// The value after a keyword ("dev dpdk0"); prints the error and returns false when it is missing.
inline bool next_value(Args args, size_t& i, std::string& out, const std::string& what) {
  if (i + 1 >= args.size()) {
    fail(what + ": \"" + args[i] + "\" needs a value");
    return false;
  }
  out = args[++i];
  return true;
}

}  // namespace fulcrum::dpip::inet
