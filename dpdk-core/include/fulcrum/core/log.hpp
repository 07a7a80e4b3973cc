#pragma once
// Per-module logging on DPDK's dynamic log types, named "fulcrum.<module>", so that operators set levels
// with the usual EAL option (--log-level=fulcrum.netif:debug) or from the config file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rte_cycles.h>
#include <rte_log.h>

namespace fulcrum::core {

class LogModule {
 public:
  // Registers "fulcrum.<name>" at static-initialisation time, which DPDK allows before rte_eal_init.
  explicit LogModule(const char* name, uint32_t default_level = RTE_LOG_INFO);
  LogModule(const LogModule&) = delete;
  LogModule& operator=(const LogModule&) = delete;

  int type() const { return type_; }
  const char* name() const { return name_; }

  // Every module name registered so far ("core", "netif", ...), for config validation.
  static std::vector<std::string> registered_names();
  // Maps "debug", "info", ... to RTE_LOG_*; returns 0 for an unknown word.
  static uint32_t level_from_name(std::string_view word);
  static const char* level_names();  // "emerg, alert, crit, err, warning, notice, info, debug"
  // Applies a level to one module, or to all of them when name is "*".
  static bool set_level(std::string_view name, uint32_t level);

 private:
  const char* name_;
  int type_;
};

// Token bucket for log lines on the packet path: at most `burst` lines, refilled at `per_second`.
// Not thread-safe by design: each lcore keeps its own, like every other piece of worker state.
class LogRateLimit {
 public:
  constexpr LogRateLimit(uint32_t per_second = 5, uint32_t burst = 10) : per_second_(per_second), burst_(burst) {}
  bool allow() {
    const uint64_t now = rte_get_tsc_cycles();
    const uint64_t hz = rte_get_tsc_hz();
    if (hz != 0 && per_second_ != 0) {
      const uint64_t refill = (now - last_) * per_second_ / hz;
      if (refill > 0) {
        tokens_ = refill + tokens_ > burst_ ? burst_ : tokens_ + static_cast<uint32_t>(refill);
        last_ = now;
      }
    }
    if (tokens_ == 0) {
      ++suppressed_;
      return false;
    }
    --tokens_;
    return true;
  }
  uint64_t suppressed() const { return suppressed_; }

 private:
  uint32_t per_second_;
  uint32_t burst_;
  uint32_t tokens_ = burst_;
  uint64_t last_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace fulcrum::core

#define FLOG(module, level, fmt, ...) \
  rte_log(RTE_LOG_##level, (module).type(), "fulcrum.%s: " fmt "\n", (module).name() __VA_OPT__(, ) __VA_ARGS__)

// Rate-limited variant for the packet path; `limiter` is an lcore-local LogRateLimit.
#define FLOG_RL(limiter, module, level, fmt, ...)                \
  do {                                                           \
    if ((limiter).allow()) FLOG(module, level, fmt __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
