#pragma once
// The control socket's IPVS handlers: the kernel's sockopt commands (ids 1152-1167, the <linux/ip_vs.h>
// structs with the kernel's length rules and errno values) that the preload bridge forwards for stock
// ipvsadm and keepalived, and the extension messages of fulcrum/ctrl/proto/ipvs.hpp for what those structs
// can not say. Both run on the master, where the control server calls its handlers.

namespace fulcrum::ctrl {
class Registry;
}

namespace fulcrum::ipvs {

class ServiceManager;
class ConnSettings;

// Claims the ipvs layer's two id ranges (the sockopt numbers and ipvs_msg::kExtFirst..kExtLast) and
// registers every handler. `services` and `settings` must outlive the registry's use of them.
void register_sockopt_handlers(ctrl::Registry& registry, ServiceManager& services, ConnSettings& settings);

}  // namespace fulcrum::ipvs
