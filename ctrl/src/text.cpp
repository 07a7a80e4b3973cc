#include "text.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl {

std::string strprintf(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const int needed = vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string out;
  if (needed > 0) {
    out.resize(static_cast<size_t>(needed) + 1);
    va_start(args, fmt);
    vsnprintf(out.data(), out.size(), fmt, args);
    va_end(args);
    out.resize(static_cast<size_t>(needed));
  }
  return out;
}

const char* errno_text(int err) {
  const char* text = strerrordesc_np(err);
  return text != nullptr ? text : "unknown error";
}

const char* errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "an unnamed errno";
}

std::string kind_name(uint16_t kind) {
  switch (static_cast<Kind>(kind)) {
    case Kind::get:
      return "get";
    case Kind::set:
      return "set";
    case Kind::reply:
      return "reply";
  }
  return strprintf("kind %u", unsigned{kind});
}

}  // namespace fulcrum::ctrl
