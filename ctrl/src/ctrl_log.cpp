#include "ctrl_log.hpp"

namespace fulcrum::ctrl {

// A namespace-scope object rather than a function-local static: it must be registered before EAL parses
// --log-level, which happens before any control code runs.
fulcrum::core::LogModule g_log("ctrl");

}  // namespace fulcrum::ctrl
