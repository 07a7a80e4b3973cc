#pragma once
// The layers fulcrumd runs, in dependency order. Each layer contributes a Module; adding a layer means adding
// it here and nowhere else in the daemon.

#include <memory>
#include <vector>

#include "fulcrum/core/module.hpp"

namespace fulcrum::daemon {

void add_layer_modules(std::vector<std::unique_ptr<core::Module>>& modules);

}  // namespace fulcrum::daemon
