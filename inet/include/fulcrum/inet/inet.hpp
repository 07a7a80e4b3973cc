#pragma once
// The ipv4/ipv6 layers' common part, as the layers around it see it.
//
// - ipv4 and ipv6 register as families (FamilyOps): the master asks them to send ARP requests / NS and
//   announcements; workers ask them to output packets. Both use the shared tables, neighbours and hooks here.
// - The layers above (ipvs) register hooks and protocol handlers during init, and on the packet path use
//   lcore() (this worker's tables: address lookups with their VIP / FullNAT-local flags, routes) and
//   output() (route, neighbour, Ethernet header, send; a burst at a time).
//
// Threads: registrations during init (the master, before the lcores run); everything under "packet path"
// on workers, each on its own LcoreInet; nothing locks.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fulcrum/core/message_bus.hpp"
#include "fulcrum/core/module.hpp"
#include "fulcrum/inet/addr.hpp"
#include "fulcrum/inet/hooks.hpp"
#include "fulcrum/inet/inet_config.hpp"
#include "fulcrum/inet/lcore_inet.hpp"
#include "fulcrum/netif/netif.hpp"

namespace fulcrum::inet {

// A dataplane ping, as the master hands it to a worker.
struct PingOrder {
  uint32_t token = 0;
  Family family = Family::v4;
  uint8_t reserved = 0;
  uint16_t payload = 56;
  uint16_t seq = 0;
  std::array<uint8_t, 16> dst{};
};

class FamilyOps {
 public:
  virtual ~FamilyOps() = default;
  // Master: an ARP request / NS for key.addr out of key.ifindex, from `src` (null: none fits), to `unicast`
  // (a probe) or to broadcast / the solicited-node group.
  virtual void solicit(const NeighKey& key, const Addr* src, const Mac* unicast) = 0;
  // Master: a gratuitous ARP / unsolicited NA for an address just added to `ifindex`.
  virtual void announce(Ifindex ifindex, const Addr& addr) = 0;
  // Worker: packets of our own, data at the IP header with the source and destination set: local-out hooks,
  // route, post-routing hooks, fragmentation, neighbour, send. Takes the mbufs.
  virtual void output(LcoreInet& lc, rte_mbuf** pkts, uint16_t n) = 0;
  // Worker: one echo request for `dpip ping`.
  virtual void ping(LcoreInet& lc, const PingOrder& order) = 0;
  // Worker: an ICMP / ICMPv6 error about `orig` (data at its IP header; it stays the caller's) to its source,
  // rate limited like the layer's own: the family's type and code, and the MTU (IPv4 frag-needed, IPv6 packet
  // too big) or pointer (parameter problem) as `info`.
  virtual void send_error(LcoreInet& lc, const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t info) = 0;
};

class InetControl;

class Inet {
 public:
  explicit Inet(netif::Netif& netif);
  ~Inet();
  Inet(const Inet&) = delete;
  Inet& operator=(const Inet&) = delete;

  // ---- module phases (InetModule) ----
  void configure(core::ConfigTable& root);
  // Builds the per-lcore state and the tables, applies the config's static entries (throws naming a bad one),
  // and registers the jobs, bus messages and control handlers. Announcements of the static addresses wait
  // for the first loop, when the families have registered.
  void init(core::ModuleContext& ctx);
  void stop();

  // ---- registrations: during init, before the lcores run; std::logic_error on misuse ----
  void register_family(Family f, FamilyOps& ops);
  void register_hook(Family f, HookPoint point, int priority, const char* name, HookFn fn, void* ctx);
  void register_protocol(Family f, uint8_t proto, const char* name, ProtoHandler fn, void* ctx);

  // ---- packet path ----
  // The calling lcore's state; null on a thread that is not one of ours.
  LcoreInet* lcore() {
    const unsigned id = rte_lcore_id();
    return id < RTE_MAX_LCORE ? by_lcore_[id] : nullptr;
  }
  const HookChain& hooks(Family f, HookPoint point) const {
    return hooks_[family_index(f)][static_cast<unsigned>(point)];
  }
  const ProtoEntry& protocol(Family f, uint8_t proto) const { return protocols_[family_index(f)][proto]; }
  // For the layers above: send packets of our own (see FamilyOps::output). Takes the mbufs.
  void output(Family f, rte_mbuf** pkts, uint16_t n);
  // After routing: the Ethernet header for the neighbour `nexthop` (family address bytes) on `ifindex`, then
  // netif. Without a usable neighbour the packet waits (bounded) and the master is asked to resolve it.
  // The packet's data is at its IP header. Takes the mbuf.
  void neigh_send(LcoreInet& lc, Family f, Ifindex ifindex, const uint8_t* nexthop, rte_mbuf* m);
  // A worker saw `key` at `mac` in an ARP or ND packet (see NeighMaster::learnt): sends what waited for it
  // and tells the master, unless its copy already says as much.
  void neigh_seen(LcoreInet& lc, const NeighKey& key, const Mac* mac, bool confirmed, bool update_only);
  // The exception path: a packet the dataplane does not consume goes to the kernel (netif's kni TAP).
  void to_kernel(LcoreInet& lc, Family f, rte_mbuf* m);
  // The Ethernet header (to `dst`, from the device's MAC, the family's ethertype): prepends it and sends
  // on `ifindex`. Counted out_packets. Takes the mbuf.
  void send_l2(LcoreInet& lc, Family f, Ifindex ifindex, const rte_ether_addr& dst, rte_mbuf* m) {
    send_frame(lc, f, ifindex, dst, f == Family::v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6, m);
  }
  // The same with any ethertype (ARP replies); counted on family `f`.
  void send_frame(LcoreInet& lc, Family f, Ifindex ifindex, const rte_ether_addr& dst, uint16_t ethertype,
                  rte_mbuf* m);
  // Local delivery: each packet to the handler of its protocol (protos[i]), one call per protocol with the
  // packets in arrival order; no handler: the kernel (counted in_no_protocol). Takes the mbufs.
  void deliver(LcoreInet& lc, Family f, rte_mbuf** pkts, const uint8_t* protos, uint16_t n);

  netif::Netif& netif() { return netif_; }
  const InetConfig& config() const { return cfg_; }
  core::Runtime& runtime() { return *runtime_; }
  // Packets we build (replies, ICMP errors, fragments) come from netif's pool; fragments' payloads from this.
  rte_mempool* pool() const { return netif_.pool(); }
  rte_mempool* indirect_pool() const { return indirect_pool_; }
  FamilyOps* family(Family f) const { return families_[family_index(f)]; }
  const std::vector<LcoreInet*>& lcores() const { return lcore_list_; }

  // Worker side of the replicated tables (the Replicator calls it on each worker).
  void apply(unsigned worker_index, const TableMsg& msg);
  // The master's first loop: registrations are closed from now on.
  void mark_running() { running_.store(true, std::memory_order_relaxed); }

 private:
  void build(core::ModuleContext& ctx);
  static uint32_t worker_tick_job(void* self);

  netif::Netif& netif_;
  InetConfig cfg_;
  core::Runtime* runtime_ = nullptr;
  std::vector<std::unique_ptr<LcoreInet>> owned_;
  std::vector<LcoreInet*> lcore_list_;
  std::array<LcoreInet*, RTE_MAX_LCORE> by_lcore_{};
  std::vector<LcoreInet*> by_worker_;
  std::array<std::array<HookChain, kHookPoints>, 2> hooks_{};
  std::array<std::array<ProtoEntry, 256>, 2> protocols_{};
  std::array<FamilyOps*, 2> families_{};
  rte_mempool* indirect_pool_ = nullptr;
  std::unique_ptr<InetControl> control_;
  std::atomic<bool> running_{false};
};

}  // namespace fulcrum::inet
