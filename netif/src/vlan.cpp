// VLAN sub-interfaces, from the config at start or `dpip vlan add|del` at run time. The master picks a free
// VLAN slot and ifindex, then pushes the slot to every worker (and applies it on its own state) before the
// call returns; removal goes the same way, after which the layers above drop what they kept for it.

#include <cstring>

#include "dataplane.hpp"
#include "netif_log.hpp"
#include "vlan_tag.hpp"

namespace fulcrum::netif {
namespace {

constexpr std::chrono::milliseconds kWorkerCallTimeout{500};

}  // namespace

int Dataplane::on_vlan_state(Dataplane* self, const VlanStateMsg& msg, core::NoReply&) {
  LcoreState* st = self->state_of_calling_lcore();
  if (st == nullptr || msg.vlan_slot >= kMaxVlans || msg.parent_slot >= kMaxSlots || msg.ifindex >= kMaxIfindex ||
      msg.vid > kVlanIdMaxValue) {
    return EINVAL;
  }
  apply_vlan_state(*st, msg);
  return 0;
}

void Dataplane::apply_vlan_state(LcoreState& st, const VlanStateMsg& msg) {
  LcoreVlanView& view = st.vlans[msg.vlan_slot];
  if (msg.present == 0) {
    // Unreachable first (no lookup leads to the slot), then gone.
    st.devs[msg.ifindex] = DevRef{};
    st.vlan_by_vid[msg.parent_slot][msg.vid] = 0;
    view.present = false;
    view.up = false;
    return;
  }
  view.present = true;
  view.up = msg.up != 0;
  view.parent_slot = msg.parent_slot;
  view.vid = msg.vid;
  view.ifindex = msg.ifindex;
  std::memcpy(view.mac.addr_bytes, msg.mac, RTE_ETHER_ADDR_LEN);
  // A reused slot starts counting from zero, as a new Linux device does.
  view.rx.reset();
  view.tx.reset();
  st.devs[msg.ifindex] = DevRef{SlotKind::vlan, msg.vlan_slot};
  st.vlan_by_vid[msg.parent_slot][msg.vid] = static_cast<uint8_t>(msg.vlan_slot + 1);
}

int Dataplane::add_vlan(const VlanConfig& vc, std::string* error) {
  const Netdev* parent = find(vc.parent);
  if (parent == nullptr) {
    *error = "cannot find device \"" + vc.parent + "\"";
    return ENODEV;
  }
  if (!parent->carries_traffic() || parent->kind == ctrl::netif_msg::LinkKind::kni) {
    *error = "\"" + vc.parent + "\" can not carry VLANs: it is a " +
             (parent->master != kNoIfindex ? "bond member" : to_string(parent->kind)) +
             " (a port or a bond can)";
    return EINVAL;
  }
  if (vc.id < 1 || vc.id > kVlanIdMaxValue) {
    *error = "id " + std::to_string(vc.id) + " is out of range: allowed 1 to 4094";
    return EINVAL;
  }
  const std::string name = vc.name.empty() ? vc.parent + "." + std::to_string(vc.id) : vc.name;
  if (const std::string problem = device_name_problem(name); !problem.empty()) {
    *error = "name \"" + name + "\" " + problem;
    return EINVAL;
  }
  if (find(name) != nullptr) {
    *error = "device \"" + name + "\" exists already";
    return EEXIST;
  }
  uint8_t vlan_slot = kNoSlot;
  std::array<bool, kMaxVlans> used{};
  for (const auto& [ifindex, d] : netdevs_) {
    if (d.kind != ctrl::netif_msg::LinkKind::vlan) continue;
    used[d.vlan_slot] = true;
    if (d.parent == parent->ifindex && d.vlan_id == vc.id) {
      *error = "\"" + d.name + "\" is " + vc.parent + " id " + std::to_string(vc.id) + " already";
      return EEXIST;
    }
  }
  for (unsigned i = 0; i < kMaxVlans && vlan_slot == kNoSlot; ++i) {
    if (!used[i]) vlan_slot = static_cast<uint8_t>(i);
  }
  if (vlan_slot == kNoSlot || next_ifindex() == kNoIfindex) {
    *error = "no room for another VLAN (at most " + std::to_string(kMaxVlans) + ")";
    return ENOSPC;
  }

  Netdev dev;
  dev.kind = ctrl::netif_msg::LinkKind::vlan;
  dev.name = name;
  dev.port_id = parent->port_id;
  dev.vlan_slot = vlan_slot;
  dev.driver = "vlan";
  dev.mac = vc.mac.value_or(parent->mac);
  dev.mtu = parent->mtu;
  dev.parent = parent->ifindex;
  dev.vlan_id = vc.id;
  dev.ifindex = next_ifindex();

  VlanStateMsg msg{};
  msg.present = 1;
  msg.vlan_slot = vlan_slot;
  msg.parent_slot = parent->slot;
  msg.up = 1;
  msg.vid = vc.id;
  msg.ifindex = dev.ifindex;
  std::memcpy(msg.mac, dev.mac.bytes.data(), sizeof msg.mac);
  if (running_.load(std::memory_order_relaxed)) {
    const core::CallResult r = vlan_state_msg_->call_workers(msg, kWorkerCallTimeout);
    if (!r.ok()) {
      // Some workers may have the VLAN: take it back everywhere, so no half-made device stays.
      msg.present = 0;
      (void)vlan_state_msg_->call_workers(msg, kWorkerCallTimeout);
      *error = "workers did not take the VLAN: " + r.error;
      return r.status != 0 ? r.status : EIO;
    }
    apply_vlan_state(*by_lcore_[runtime_->master()], msg);
  } else {
    for (auto& st : owned_) apply_vlan_state(*st, msg);  // at start, before any lcore runs
  }
  FLOG(g_log, INFO, "%s@%s: vlan id %u, ifindex %u, mac %s", dev.name.c_str(), parent->name.c_str(), vc.id,
       dev.ifindex, dev.mac.to_string().c_str());
  const Ifindex i = dev.ifindex;
  netdevs_.emplace(i, std::move(dev));
  return 0;
}

int Dataplane::del_vlan(const std::string& name, std::string* error) {
  Netdev* d = find(name);
  if (d == nullptr) {
    *error = "cannot find device \"" + name + "\"";
    return ENODEV;
  }
  if (d->kind != ctrl::netif_msg::LinkKind::vlan) {
    *error = "\"" + name + "\" is a " + to_string(d->kind) + ", not a VLAN";
    return EINVAL;
  }
  VlanStateMsg msg{};
  msg.present = 0;
  msg.vlan_slot = d->vlan_slot;
  msg.parent_slot = netdevs_.at(d->parent).slot;
  msg.vid = d->vlan_id;
  msg.ifindex = d->ifindex;
  const core::CallResult r = vlan_state_msg_->call_workers(msg, kWorkerCallTimeout);
  if (!r.ok()) {
    *error = "workers did not drop the VLAN: " + r.error;
    return r.status != 0 ? r.status : EIO;
  }
  apply_vlan_state(*by_lcore_[runtime_->master()], msg);
  const Ifindex ifindex = d->ifindex;
  FLOG(g_log, INFO, "%s: vlan removed (ifindex %u)", name.c_str(), ifindex);
  netdevs_.erase(ifindex);
  for (const auto& fn : removed_listeners_) fn(ifindex);
  return 0;
}

}  // namespace fulcrum::netif
