#pragma once
#include "fulcrum/core/log.hpp"

namespace fulcrum::inet {
extern core::LogModule g_log;  // "fulcrum.inet"
}  // namespace fulcrum::inet
