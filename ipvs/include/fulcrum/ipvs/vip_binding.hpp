#pragma once
// Per-VIP forwarding bindings: what the stock tools cannot say, attached to a virtual IP address before any
// service on it exists.
//
// keepalived creates its services itself (SET_ADD with lb_kind NAT) and deletes them on SIGTERM, so a binding
// kept on the service would be gone with it. A binding kept on the VIP outlives every service on it: each
// service created there later (by keepalived or stock ipvsadm through the bridge, by the config, by Fulcrum's
// ipvsadm without a forwarding method of its own) runs its masq real servers as FullNAT, with the binding's
// local-address group and TOA setting. Pure C++: no DPDK, no bus.

#include <cstdint>
#include <string>
#include <vector>

#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs {

struct VipBinding {
  Family family = Family::v4;
  IpAddr vip;  // only the first addr_len(family) bytes count
  // What masq real servers of a service on the VIP become. FullNAT is the only method the stock tools can not
  // send, and so the only one a binding may name.
  ForwardMethod forward = ForwardMethod::fullnat;
  std::vector<IpAddr> laddrs;  // the local-address group each new service on the VIP starts with
  bool toa = true;             // the new services' TOA setting
};

// The bindings, one per VIP address, in the order they were set.
class VipBindings {
 public:
  // Adds a binding, or replaces the VIP's (services that exist keep what they took). EINVAL a method other
  // than FullNAT or a repeated local address; EAFNOSUPPORT a local address of another family than the VIP's;
  // ENOSPC more than kMaxLaddrsPerService local addresses. The messages name the field and the value.
  Status set(const VipBinding& b);
  // ENOENT when the VIP has none.
  Status remove(Family f, const IpAddr& vip);
  // Null when the VIP has none; valid until the next set() or remove().
  const VipBinding* find(Family f, const IpAddr& vip) const;
  const std::vector<VipBinding>& all() const { return bindings_; }

 private:
  std::vector<VipBinding> bindings_;
};

// "binding of VIP 198.18.0.100", for messages.
std::string binding_name(const VipBinding& b);

}  // namespace fulcrum::ipvs
