#pragma once
// The netif layer's state: netdevs (master), the ethertype table (fixed at start), one LcoreState per lcore,
// and the mbuf pool. The packet path (rx_path.cpp, tx_path.cpp, kni.cpp), the link watch, the device
// set-up (dataplane.cpp, bond.cpp, kni.cpp, vlan.cpp), the control handlers and the module glue all work
// on it.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "ethertype_dispatch.hpp"
#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/core/runtime.hpp"
#include "fulcrum/netif/netif_config.hpp"
#include "lcore_state.hpp"
#include "netdev.hpp"

namespace fulcrum::netif {

// Bus message ids of netif (the bus has no ranges per layer; netif uses 100-119).
constexpr uint16_t kBusPortState = 100;
constexpr uint16_t kBusVlanState = 101;

// What a worker keeps of a port slot or VLAN slot's admin state; pushed by the master on every change.
struct PortStateMsg {
  uint8_t kind;  // SlotKind
  uint8_t slot;
  uint8_t up;
  uint8_t promisc;
};

// A VLAN slot appearing (present = 1) or going away (present = 0) at run time.
struct VlanStateMsg {
  uint8_t present;
  uint8_t vlan_slot;
  uint8_t parent_slot;
  uint8_t up;
  uint16_t vid;
  uint16_t ifindex;
  uint8_t mac[6];
  uint8_t reserved[2];
};

class Dataplane {
 public:
  Dataplane() = default;
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Start-up (init): pool, ports, bonds, knis, VLANs, queue ownership, lcore states. Throws
  // std::runtime_error.
  void open(const NetifConfig& cfg, core::Runtime& runtime);
  void close();

  // --- packet path ---
  static uint32_t worker_job(void* self);    // every loop on each worker: RX, dispatch, TX flush
  static uint32_t master_job(void* self);    // every loop on the master: kni RX, its own TX buffers
  void send(rte_mbuf* m, Ifindex ifindex);
  void to_kernel(rte_mbuf* m);

  // --- master ---
  void register_ethertype(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx);
  // Polls every port's carrier and logs changes (link_watch.cpp).
  static uint32_t link_watch_job(void* self);
  // 802.3ad needs a TX burst on each bond at least every 100 ms, traffic or not (bond.cpp).
  static uint32_t lacp_tick_job(void* self);
  bool has_lacp_bond() const;
  // Applies an admin/promisc change to every worker, then to the master's own view; 0 or a positive errno.
  int push_port_state(const Netdev& dev, std::string* error);
  // Run-time VLANs (vlan.cpp): 0 or a positive errno with `error` set for the operator.
  int add_vlan(const VlanConfig& vc, std::string* error);
  int del_vlan(const std::string& name, std::string* error);

  const std::map<Ifindex, Netdev>& netdevs() const { return netdevs_; }
  Netdev* find(std::string_view name);
  const Netdev* find(std::string_view name) const;
  const Netdev* get(Ifindex ifindex) const;
  Netdev* find_mutable(Ifindex ifindex) { return const_cast<Netdev*>(get(ifindex)); }
  // Every lcore's state (workers first, master last).
  const std::vector<std::unique_ptr<LcoreState>>& lcores() const { return owned_; }
  rte_mempool* pool() const { return pool_; }
  void on_netdev_removed(std::function<void(Ifindex)> fn) { removed_listeners_.push_back(std::move(fn)); }

 private:
  static int on_port_state(Dataplane* self, const PortStateMsg& msg, core::NoReply& reply);
  static int on_vlan_state(Dataplane* self, const VlanStateMsg& msg, core::NoReply& reply);
  static void apply_port_state(LcoreState& st, const PortStateMsg& msg);
  static void apply_vlan_state(LcoreState& st, const VlanStateMsg& msg);
  uint32_t rx_poll(LcoreState& st);
  void process_burst(LcoreState& st, OwnedRxQueue& q, rte_mbuf** pkts, uint16_t n);
  static void forward_burst(LcoreState& st, OwnedRxQueue& q, rte_mbuf** pkts, uint16_t n);
  static void enqueue_tx(LcoreState& st, uint8_t slot, rte_mbuf* m);
  static void flush_tx(TxPort& tx);
  static uint32_t flush_all(LcoreState& st);
  LcoreState* state_of_calling_lcore() {
    const unsigned id = rte_lcore_id();
    return id < RTE_MAX_LCORE ? by_lcore_[id] : nullptr;
  }

  // Set-up steps (dataplane.cpp, bond.cpp, kni.cpp, vlan.cpp).
  Ifindex next_ifindex() const;
  Netdev& add_netdev(Netdev dev);
  void open_member(const PortConfig& pc);
  void open_traffic_port(Netdev dev);
  void open_bond(const BondConfig& bc);
  void open_kni(Netdev& parent);
  void attach_kni_rules();

  NetifConfig cfg_;
  core::Runtime* runtime_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::map<Ifindex, Netdev> netdevs_;
  uint8_t n_slots_ = 0;
  EthertypeTable ethertypes_;
  std::vector<std::unique_ptr<LcoreState>> owned_;
  std::array<LcoreState*, RTE_MAX_LCORE> by_lcore_{};
  std::optional<core::MsgType<PortStateMsg>> port_state_msg_;
  std::optional<core::MsgType<VlanStateMsg>> vlan_state_msg_;
  std::vector<std::function<void(Ifindex)>> removed_listeners_;
  std::atomic<bool> running_{false};  // set by the master's first loop: ethertypes are fixed from then on
};

// Tags an untagged frame for `vid`: by the PMD when `offload`, else by moving the addresses into the
// headroom. False when the frame is too short or has no headroom left (tx_path.cpp).
bool insert_vlan_tag(rte_mbuf* m, uint16_t vid, bool offload);

// Active-backup: the member a bond sends on now; kNoIfindex when no member is up (bond.cpp).
Ifindex bond_active_member(const Dataplane& dp, const Netdev& bond);

}  // namespace fulcrum::netif
