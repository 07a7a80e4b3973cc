#pragma once
// [[snat]]: SNAT rules in the config (snat_rule.hpp), one table per rule, matched in the file's order.

#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/ipvs/snat_rule.hpp"

namespace fulcrum::ipvs {

// Every [[snat]] table, checked (throws core::ConfigError naming the key and its value). An absent array
// still declares the schema.
std::vector<SnatRule> read_snat_rules(core::ConfigTable& root);

}  // namespace fulcrum::ipvs
