#pragma once
// The layer's one log type, "fulcrum.netif".

#include "fulcrum/core/log.hpp"

namespace fulcrum::netif {
extern core::LogModule g_log;
}
