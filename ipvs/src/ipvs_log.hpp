#pragma once
// The layer's one log type, "fulcrum.ipvs".

#include "fulcrum/core/log.hpp"

namespace fulcrum::ipvs {
extern core::LogModule g_log;
}
