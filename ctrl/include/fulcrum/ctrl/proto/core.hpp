#pragma once
// Core messages: daemon status and per-lcore load.

#include <cstdint>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl::core_msg {

constexpr uint32_t kGetStatus = ids::kCoreFirst + 1;  // get, empty request -> StatusReply + LcoreStatus[n]
constexpr uint32_t kEcho = ids::kCoreFirst + 2;       // get, any payload up to 4 KiB, echoed back (diagnostics)

enum class LcoreRole : uint8_t { master = 1, worker = 2 };

struct StatusReply {
  uint32_t version;  // of this layout, 1
  uint32_t lcore_count;
  uint64_t tsc_hz;
  uint64_t uptime_ms;
  uint32_t pid;
  uint8_t poll_mode;  // 0 busy, 1 idle-sleep
  uint8_t reserved[3];
};
static_assert(sizeof(StatusReply) == 32);

struct LcoreStatus {
  uint32_t lcore_id;
  uint8_t role;  // LcoreRole
  uint8_t reserved[3];
  uint64_t work_cycles;
  uint64_t idle_cycles;
  uint64_t loops;
  uint64_t sleeps;
  uint32_t recent_load_permille;  // work share of the last second
  uint32_t reserved2;
};
static_assert(sizeof(LcoreStatus) == 48);

}  // namespace fulcrum::ctrl::core_msg
