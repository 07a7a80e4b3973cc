#pragma once
// Helpers the control handlers share: names, families and addresses out of fixed-size records, and lists
// into replies.

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fulcrum/ctrl/proto/inet.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/inet/addr.hpp"
#include "inet_control.hpp"

namespace fulcrum::inet::ctrl_util {

inline std::string name_of(const char (&field)[ctrl::inet_msg::kNameSize]) {
  return std::string(field, strnlen(field, sizeof field));
}

inline void set_name(char (&field)[ctrl::inet_msg::kNameSize], const std::string& name) {
  std::memset(field, 0, sizeof field);
  std::memcpy(field, name.data(), std::min(name.size(), sizeof field - 1));
}

template <class T>
void append(std::vector<unsigned char>& out, const T* items, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(items);
  out.insert(out.end(), p, p + n * sizeof(T));
}

inline void append_head(std::vector<unsigned char>& out, size_t count) {
  const ctrl::inet_msg::ListHead head{ctrl::inet_msg::kListVersion, static_cast<uint32_t>(count)};
  append(out, &head, 1);
}

inline int fail(ctrl::Response& out, int status, const std::string& text) {
  out.message(text);
  return status;
}

// A family field that must be 4 or 6 (or 0 when `any_ok`). Sets `out` to nullopt for 0.
inline bool family_field(uint8_t value, bool any_ok, std::optional<Family>& out, ctrl::Response& resp, int& rc) {
  if (value == 0 && any_ok) {
    out.reset();
    return true;
  }
  out = family_from_wire(value);
  if (!out) {
    rc = fail(resp, EINVAL, "family " + std::to_string(value) + " is not 4 or 6");
    return false;
  }
  return true;
}

// A device name field; 0 and ENODEV with iproute2's message when it names no device. Empty: 0, true.
inline bool device_field(const InetControl& c, const char (&field)[ctrl::inet_msg::kNameSize], bool required,
                         Ifindex& out, ctrl::Response& resp, int& rc) {
  const std::string name = name_of(field);
  out = 0;
  if (name.empty()) {
    if (!required) return true;
    rc = fail(resp, EINVAL, "a device (dev) is required");
    return false;
  }
  out = c.find_dev(name);
  if (out == 0) {
    rc = fail(resp, ENODEV, "cannot find device \"" + name + "\"");
    return false;
  }
  if (!c.carries_ip(out)) {
    rc = fail(resp, EINVAL, "device \"" + name + "\" " + kNoIpHere);
    return false;
  }
  return true;
}

template <class T>
T read(const ctrl::Request& in) {
  T v;
  std::memcpy(&v, in.payload.data(), sizeof v);
  return v;
}

}  // namespace fulcrum::inet::ctrl_util
