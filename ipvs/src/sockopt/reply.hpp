#pragma once
// What every sockopt and extension handler shares: the two objects they act on, reading a fixed-size record
// out of a request, and answering an error with a line for the operator.

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/service_manager.hpp"

namespace fulcrum::ipvs::sockopt {

struct Ctx {
  ServiceManager& services;
  ConnSettings& settings;
};

// The registry has checked the length before a handler runs; `offset + sizeof(T)` is within it.
template <class T>
T read_at(const ctrl::Request& in, size_t offset = 0) {
  T v;
  std::memcpy(&v, in.payload.data() + offset, sizeof v);
  return v;
}

template <class T>
void append(std::vector<unsigned char>& out, const T& item) {
  const auto* p = reinterpret_cast<const unsigned char*>(&item);
  out.insert(out.end(), p, p + sizeof(T));
}

// A refusal with the kernel's errno and a message naming the field and the value.
inline int fail(ctrl::Response& out, int err, const std::string& text) {
  out.message("ipvs: " + text);
  return err;
}
inline int fail(ctrl::Response& out, const Status& st) { return fail(out, st.err, st.msg); }

// A request that does not have the shape its command needs (a length, a count, a version): answered, and
// logged as the registry logs the lengths it refuses, since a well-behaved tool never sends one.
int malformed(const ctrl::Request& in, ctrl::Response& out, int err, const std::string& text);

// "IP_VS_SO_SET_ADD (1154)" for messages.
std::string optname(uint32_t id, ctrl::Kind kind);

}  // namespace fulcrum::ipvs::sockopt
