#pragma once
// Schedulers by name, as ipvsadm's -s names them.

#include <memory>
#include <span>
#include <string_view>

#include "fulcrum/ipvs/scheduler.hpp"

namespace fulcrum::ipvs {

// Every registered name, in the order the registry lists them.
std::span<const std::string_view> scheduler_names() noexcept;

bool has_scheduler(std::string_view name) noexcept;

// A new, unbound scheduler; rebuild() it with the service's dests before the first pick. Throws
// std::invalid_argument for an unknown name (the message lists the known ones) or a bad config value.
std::unique_ptr<Scheduler> make_scheduler(std::string_view name, const SchedConfig& config = {});

}  // namespace fulcrum::ipvs
