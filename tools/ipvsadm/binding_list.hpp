#pragma once
// The --list-bindings listing: fulcrumd's per-VIP bindings ([[vip_binding]]), one line per VIP, in the
// column style of -L. No stock counterpart: the kernel has no bindings.

#include <string>
#include <vector>

#include "model.hpp"

namespace fulcrum::ipvsadm {

std::string format_bindings(const std::vector<VipBinding>& bindings);

}  // namespace fulcrum::ipvsadm
