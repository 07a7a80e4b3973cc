#pragma once
// The master's side of the ipv4/ipv6 layers: the authoritative tables, the neighbour state machine, the
// stream of changes to the workers, the devices netif reports, and the operations behind the control
// messages. Runs on the master lcore only (jobs, bus handlers, control handlers), so nothing here locks.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/core/module.hpp"
#include "fulcrum/ctrl/proto/inet.hpp"
#include "fulcrum/inet/inet.hpp"
#include "master_tables.hpp"
#include "neigh_master.hpp"
#include "replicator.hpp"

namespace fulcrum::inet {

// Bus message ids of the inet layer (the bus has no ranges per layer; inet uses 120-179).
constexpr uint16_t kBusTable = 120;         // master -> workers: TableMsg (replicator.hpp)
constexpr uint16_t kBusNeighResolve = 121;  // worker -> master: NeighKey
constexpr uint16_t kBusNeighLearnt = 122;   // worker -> master: LearntMsg
constexpr uint16_t kBusRouteGet = 123;      // master -> workers (call): route get on each worker's tables
constexpr uint16_t kBusPing = 124;          // master -> one worker: PingOrder

struct LearntMsg {
  NeighKey key;
  Mac mac{};
  uint8_t has_mac = 0;
  uint8_t confirmed = 0;
  uint8_t update_only = 0;
  uint8_t reserved = 0;
};

// How long an operator's change may take to reach every worker before the control reply says so.
constexpr std::chrono::milliseconds kWorkerWait{500};

// Why a kni or a bond member takes no address, route or neighbour.
inline constexpr const char* kNoIpHere =
    "carries no dataplane IP: it is a kni (the kernel's side of its parent) or a bond member (use the bond)";

class InetControl final : public NeighEnv {
 public:
  InetControl(Inet& inet, core::ModuleContext& ctx);
  ~InetControl() override;

  // ---- start-up (init), before the lcores run ----
  void sync_devices();
  // Throws std::runtime_error naming the config key and the line at fault.
  void apply_static(const InetConfig& cfg);
  void seal() { repl_.seal(); }

  // ---- workers -> master (called on a worker) ----
  int send_resolve(const NeighKey& key);
  int send_learnt(const LearntMsg& m);

  // ---- operations behind the control messages: 0 or a positive errno with `err` set ----
  int add_addr(const Addr& a, uint8_t plen, Ifindex ifindex, uint32_t flags, std::string& err);
  int del_addr(const Addr& a, uint8_t plen, Ifindex ifindex, std::string& err);
  int add_route(const Prefix& p, const std::optional<Addr>& gw, Ifindex ifindex, bool replace, std::string& err);
  int del_route(const Prefix& p, std::string& err);
  int add_neigh(const NeighKey& key, const Mac& mac, std::string& err);
  int del_neigh(const NeighKey& key, std::string& err);
  int flush_neigh(std::optional<Family> f, Ifindex ifindex, std::string& err);
  int set_forwarding(Family f, bool on, std::string& err);
  // Every worker's answer from its own tables; `err` on a worker that did not answer.
  int route_get(const Addr& a, std::vector<ctrl::inet_msg::RouteGetResult>& out, std::string& err);
  // Hands a ping to a worker; the reply shows up in that worker's (or another's) PingSlots.
  int ping(const PingOrder& order, std::string& err);
  uint32_t next_ping_token() { return ++ping_token_ == 0 ? ++ping_token_ : ping_token_; }

  MasterTables& tables() { return tables_; }
  NeighMaster& neigh() { return neigh_; }
  Replicator& replicator() { return repl_; }
  Inet& inet() { return inet_; }
  LcoreInet& master_lcore() { return *master_lc_; }
  std::string dev_name(Ifindex ifindex) const;
  Ifindex find_dev(const std::string& name) const;
  bool carries_ip(Ifindex ifindex) const;

  // ---- NeighEnv ----
  void push(const TableMsg& m) override { repl_.push(m); }
  void solicit(const NeighKey& key, const Mac* unicast) override;
  uint32_t last_used(uint32_t slot) override;
  void failed(const NeighKey& key) override;

 private:
  static int on_resolve(InetControl* self, const NeighKey& key, core::NoReply& reply);
  static int on_learnt(InetControl* self, const LearntMsg& m, core::NoReply& reply);
  static int on_route_get(InetControl* self, const ctrl::inet_msg::RouteGetQuery& q,
                          ctrl::inet_msg::RouteGetResult& out);
  static int on_ping(InetControl* self, const PingOrder& order, core::NoReply& reply);
  static uint32_t sync_job(void* self);
  static uint32_t devices_job(void* self);
  static uint32_t announce_job(void* self);
  // Pushes the changes and waits until every worker has them.
  int commit(const MasterTables::Out& out, std::string& err);
  void announce(Ifindex ifindex, const Addr& a);
  std::optional<Addr> source_for(const NeighKey& key) const;
  void remove_device(Ifindex ifindex);

  Inet& inet_;
  core::Runtime& runtime_;
  LcoreInet* master_lc_ = nullptr;
  MasterTables tables_;
  Replicator repl_;
  NeighMaster neigh_;
  std::optional<core::MsgType<NeighKey>> resolve_msg_;
  std::optional<core::MsgType<LearntMsg>> learnt_msg_;
  std::optional<core::MsgType<ctrl::inet_msg::RouteGetQuery, ctrl::inet_msg::RouteGetResult>> route_get_msg_;
  std::optional<core::MsgType<PingOrder>> ping_msg_;
  std::vector<std::pair<Ifindex, Addr>> announce_later_;
  uint32_t ping_token_ = 0;
  unsigned next_ping_worker_ = 0;
};

// Control handlers, one file per object.
void register_addr_handlers(ctrl::Registry& registry, InetControl& c);
void register_route_handlers(ctrl::Registry& registry, InetControl& c);
void register_neigh_handlers(ctrl::Registry& registry, InetControl& c);
void register_stats_handlers(ctrl::Registry& registry, InetControl& c);

}  // namespace fulcrum::inet
