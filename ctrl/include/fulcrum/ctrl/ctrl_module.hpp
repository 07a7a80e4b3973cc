#pragma once
// The daemon's control-socket module: reads [ctrl], serves the socket from a master job, and answers the
// core's own requests (status, per-lcore load).

#include <memory>
#include <optional>
#include <string>

#include "fulcrum/core/module.hpp"

namespace fulcrum::ctrl {

// `socket_override` (from --ctrl-socket) wins over the config file.
std::unique_ptr<core::Module> make_ctrl_module(std::optional<std::string> socket_override);

}  // namespace fulcrum::ctrl
