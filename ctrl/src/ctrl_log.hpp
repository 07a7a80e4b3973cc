#pragma once
// The "fulcrum.ctrl" log module, defined once so that the module list used for config validation names it once.

#include "fulcrum/core/log.hpp"

namespace fulcrum::ctrl {

extern fulcrum::core::LogModule g_log;

}  // namespace fulcrum::ctrl
