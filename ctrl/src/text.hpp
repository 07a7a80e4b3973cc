#pragma once
// printf-style formatting into std::string for error messages and log lines (GCC 12 has no <format>).

#include <cstdint>
#include <string>

namespace fulcrum::ctrl {

std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// strerror without its static buffer: the description table is constant, so any thread may call this.
const char* errno_text(int err);

// "EINVAL" for EINVAL: log lines name the status as the operator will look it up.
const char* errno_name(int err);

// "get", "set", "reply" or "kind N".
std::string kind_name(uint16_t kind);

}  // namespace fulcrum::ctrl
