#include "fulcrum/core/log.hpp"

#include <array>
#include <mutex>
#include <string>

namespace fulcrum::core {
namespace {

struct Registered {
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> modules;  // name, log type
};

Registered& registered() {
  static Registered r;
  return r;
}

constexpr std::array<std::pair<std::string_view, uint32_t>, 8> kLevels{{
    {"emerg", RTE_LOG_EMERG},
    {"alert", RTE_LOG_ALERT},
    {"crit", RTE_LOG_CRIT},
    {"err", RTE_LOG_ERR},
    {"warning", RTE_LOG_WARNING},
    {"notice", RTE_LOG_NOTICE},
    {"info", RTE_LOG_INFO},
    {"debug", RTE_LOG_DEBUG},
}};

}  // namespace

LogModule::LogModule(const char* name, uint32_t default_level) : name_(name) {
  const std::string full = std::string("fulcrum.") + name;
  type_ = rte_log_register_type_and_pick_level(full.c_str(), default_level);
  if (type_ < 0) type_ = RTE_LOGTYPE_USER1;  // DPDK ran out of dynamic types: still log, just not per module
  auto& r = registered();
  std::lock_guard lock(r.mutex);
  r.modules.emplace_back(name, type_);
}

std::vector<std::string> LogModule::registered_names() {
  auto& r = registered();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, type] : r.modules) names.push_back(name);
  return names;
}

uint32_t LogModule::level_from_name(std::string_view word) {
  for (const auto& [name, level] : kLevels) {
    if (name == word) return level;
  }
  return 0;
}

const char* LogModule::level_names() { return "emerg, alert, crit, err, warning, notice, info, debug"; }

bool LogModule::set_level(std::string_view name, uint32_t level) {
  auto& r = registered();
  std::lock_guard lock(r.mutex);
  bool found = false;
  for (const auto& [module, type] : r.modules) {
    if (name == "*" || name == module) {
      rte_log_set_level(static_cast<uint32_t>(type), level);
      found = true;
    }
  }
  return found;
}

}  // namespace fulcrum::core
