#pragma once
// The netif layer's state: netdevs (master), the ethertype table (fixed at start), one LcoreState per lcore,
// and the mbuf pool. The packet path (rx_path.cpp, tx_path.cpp), the link watch, the control handlers and
// the module glue all work on it.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
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

// What a worker keeps of a port or VLAN; pushed by the master on every change.
struct PortStateMsg {
  uint8_t slot;  // a port slot, or kMaxPorts + the VLAN's index

  uint8_t up;
  uint8_t promisc;
  uint8_t reserved;
};

class Dataplane {
 public:
  Dataplane() = default;
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Start-up (init): pool, ports, queue ownership, lcore states. Throws std::runtime_error.
  void open(const NetifConfig& cfg, core::Runtime& runtime);
  void close();

  // --- packet path (rx_path.cpp / tx_path.cpp) ---
  static uint32_t worker_job(void* self);    // every loop on each worker: RX, dispatch, TX flush
  static uint32_t tx_flush_job(void* self);  // every loop on the master: its own TX buffers
  void send(rte_mbuf* m, Ifindex ifindex);

  // --- master ---
  void register_ethertype(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx);
  // Polls every port's carrier and logs changes (link_watch.cpp).
  static uint32_t link_watch_job(void* self);
  // Applies an admin/promisc change to every worker, then to the master's own view; 0 or a positive errno.
  int push_port_state(const Netdev& dev, std::string* error);

  std::vector<Netdev>& netdevs() { return netdevs_; }
  const std::vector<Netdev>& netdevs() const { return netdevs_; }
  Netdev* find(std::string_view name);
  const Netdev* find(std::string_view name) const;
  // Every lcore's state (workers first, master last).
  const std::vector<std::unique_ptr<LcoreState>>& lcores() const { return owned_; }

 private:
  static int on_port_state(Dataplane* self, const PortStateMsg& msg, core::NoReply& reply);
  void apply_port_state(LcoreState& st, const PortStateMsg& msg);
  uint32_t rx_poll(LcoreState& st);
  void process_burst(LcoreState& st, OwnedRxQueue& q, const LcorePortView& view, rte_mbuf** pkts, uint16_t n);
  static void flush_tx(TxPort& tx);
  void open_vlans(const NetifConfig& cfg);
  static uint32_t flush_all(LcoreState& st);
  LcoreState* state_of_calling_lcore() {
    const unsigned id = rte_lcore_id();
    return id < RTE_MAX_LCORE ? by_lcore_[id] : nullptr;
  }

  NetifConfig cfg_;
  core::Runtime* runtime_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::vector<Netdev> netdevs_;
  unsigned n_ports_ = 0;  // netdevs_[0, n_ports_) are ports, the rest VLANs
  EthertypeTable ethertypes_;
  std::vector<std::unique_ptr<LcoreState>> owned_;
  std::array<LcoreState*, RTE_MAX_LCORE> by_lcore_{};
  std::optional<core::MsgType<PortStateMsg>> port_state_msg_;
  std::atomic<bool> running_{false};  // set by the master's first loop: ethertypes are fixed from then on
};

}  // namespace fulcrum::netif
