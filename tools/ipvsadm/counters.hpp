#pragma once
// --counters [--per-worker]: the dataplane's IPVS counters by name, summed over the workers, and each
// worker's value in a column of its own when asked.

#include <string>

#include "ipvs_client.hpp"

namespace fulcrum::ipvsadm {

std::string format_counters(const Counters& c, bool per_worker);

}  // namespace fulcrum::ipvsadm
