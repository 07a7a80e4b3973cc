#pragma once
// Which options each command needs, takes, or takes only one of: stock ipvsadm 1.31's table (read off its
// behaviour), plus Fulcrum's commands and options.

#include <cstdint>
#include <optional>
#include <string>

#include "command.hpp"

namespace fulcrum::ipvsadm {

// The first rule `options` break for `cmd`, in option order, as stock ipvsadm words it: "You need to supply
// the 'service-address' option for the 'add-service' command", "Illegal 'weight' option with the
// 'add-service' command", "The option 'daemon' conflicts with the 'timeout' option in the 'list' command".
std::optional<std::string> check_rules(Cmd cmd, uint64_t options);

}  // namespace fulcrum::ipvsadm
