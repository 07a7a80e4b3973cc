#include "ipvs_log.hpp"

namespace fulcrum::ipvs {
core::LogModule g_log("ipvs");
}
