#pragma once
// The --list-snat listing: fulcrumd's SNAT rules ([[snat]]), one line per rule in match order, in the column
// style of -L. No stock counterpart: the kernel's IPVS has no SNAT.

#include <string>
#include <vector>

#include "model.hpp"

namespace fulcrum::ipvsadm {

std::string format_snat_rules(const std::vector<SnatRule>& rules);

}  // namespace fulcrum::ipvsadm
