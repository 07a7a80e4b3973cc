#pragma once
// dpip's shape, after iproute2's ip: `dpip [OPTIONS] OBJECT [COMMAND [ARGS...]]`. Each object (link, addr,
// route, neigh, vlan, cpu, ...) lives in its own file and is listed in objects.cpp; words match by prefix
// in table order, as in ip ("l" is link, "a" is addr).

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "fulcrum/ctrl/client.hpp"

namespace fulcrum::dpip {

struct Context {
  ctrl::Client& client;
  int stats = 0;      // -s, repeatable
  bool json = false;  // -j
  int family = 0;     // 0 any, 4 or 6 (-4, -6)
};

using Args = std::span<const std::string>;

struct Object {
  const char* name;
  const char* summary;
  int (*run)(Context& ctx, Args args);  // returns the exit code
};

std::span<const Object> objects();

// `word` abbreviates `name` (a non-empty prefix of it), as iproute2's matches().
inline bool matches(std::string_view word, std::string_view name) {
  return !word.empty() && name.substr(0, word.size()) == word;
}

// Prints "dpip: <text>" to stderr and returns exit code 1 (iproute2 uses 1 for errors, 255 for usage).
int fail(const std::string& text);
constexpr int kExitUsage = 255;

// Runs a control request; on failure prints the daemon's reason naming `what` and returns false.
bool request(Context& ctx, ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, ctrl::CallReply& out,
             const char* what);

}  // namespace fulcrum::dpip
