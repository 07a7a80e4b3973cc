#include "exec_guard.hpp"

#include <cstring>

namespace fulcrum::bridge {
namespace {

bool named_modprobe(const char* path) {
  if (path == nullptr) return false;
  const char* slash = std::strrchr(path, '/');
  return std::strcmp(slash != nullptr ? slash + 1 : path, "modprobe") == 0;
}

}  // namespace

bool is_modprobe_of_ipvs(const char* path, char* const argv[]) {
  if (argv == nullptr || argv[0] == nullptr) return false;
  if (!named_modprobe(path) && !named_modprobe(argv[0])) return false;
  for (size_t i = 1; argv[i] != nullptr; ++i) {
    if (std::strcmp(argv[i], "ip_vs") == 0 || std::strncmp(argv[i], "ip_vs_", 6) == 0) return true;
  }
  return false;
}

}  // namespace fulcrum::bridge
