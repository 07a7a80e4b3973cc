#include "dataplane.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "netif_log.hpp"
#include "port.hpp"

namespace fulcrum::netif {

int g_ingress_ifindex_offset = -1;
core::LogModule g_log("netif");

namespace {

constexpr std::chrono::milliseconds kWorkerCallTimeout{500};

void register_ingress_dynfield() {
  static const rte_mbuf_dynfield desc = {"fulcrum_netif_ingress_ifindex", sizeof(Ifindex), alignof(Ifindex), 0};
  const int offset = rte_mbuf_dynfield_register(&desc);
  if (offset < 0) {
    throw std::runtime_error(std::string("netif: can not register the ingress-ifindex mbuf field: ") +
                             rte_strerror(rte_errno));
  }
  g_ingress_ifindex_offset = offset;
}

rte_mempool* create_pool(const NetifConfig& cfg, unsigned lcores) {
  // Every descriptor may hold an mbuf, every lcore's cache and TX buffers hold more: refuse a pool that
  // could run dry at rest, naming the key to raise.
  uint64_t needed = static_cast<uint64_t>(lcores) * (cfg.mbuf_cache + kMaxSlots * kTxBurst);
  const auto descriptors = [lcores](const PortConfig& p) -> uint64_t {
    const uint64_t rxq = p.rx_queues ? p.rx_queues : lcores;
    const uint64_t txq = p.tx_queues ? p.tx_queues : lcores;
    return rxq * p.rx_desc + txq * p.tx_desc;
  };
  for (const auto& p : cfg.ports) {
    const bool member = std::any_of(cfg.bonds.begin(), cfg.bonds.end(), [&](const BondConfig& b) {
      return std::find(b.members.begin(), b.members.end(), p.name) != b.members.end();
    });
    if (!member) needed += descriptors(p) + (p.kni ? lcores * (p.rx_desc + p.tx_desc) : 0);
  }
  for (const auto& b : cfg.bonds) {
    // The bond's queues are its members' queues: each member holds a full set of descriptors.
    needed += descriptors(b.port) * b.members.size() + (b.port.kni ? lcores * (b.port.rx_desc + b.port.tx_desc) : 0);
  }
  if (cfg.mbufs < needed) {
    throw std::runtime_error("netif.mbufs = " + std::to_string(cfg.mbufs) + " is too small for the ports' " +
                             "descriptors and the lcores' caches: at least " + std::to_string(needed));
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("netif_mbufs", cfg.mbufs, cfg.mbuf_cache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    throw std::runtime_error("netif: can not allocate " + std::to_string(cfg.mbufs) +
                             " mbufs (netif.mbufs; raise eal.memory_mb): " + rte_strerror(rte_errno));
  }
  return pool;
}

bool is_member(const NetifConfig& cfg, const std::string& port) {
  return std::any_of(cfg.bonds.begin(), cfg.bonds.end(), [&](const BondConfig& b) {
    return std::find(b.members.begin(), b.members.end(), port) != b.members.end();
  });
}

}  // namespace

void Dataplane::open(const NetifConfig& cfg, core::Runtime& runtime) {
  cfg_ = cfg;
  runtime_ = &runtime;
  register_ingress_dynfield();
  const auto& workers = runtime.workers();

  // One state per lcore: the workers in order, then the master (whose TX queue is the last one).
  for (size_t i = 0; i <= workers.size(); ++i) owned_.push_back(std::make_unique<LcoreState>());
  for (size_t i = 0; i < owned_.size(); ++i) {
    owned_[i]->lcore = i < workers.size() ? workers[i] : runtime.master();
    by_lcore_[owned_[i]->lcore] = owned_[i].get();
  }
  port_state_msg_ = core::MsgType<PortStateMsg>::define<Dataplane, &Dataplane::on_port_state>(
      runtime.bus(), kBusPortState, "netif.port_state", this);
  vlan_state_msg_ = core::MsgType<VlanStateMsg>::define<Dataplane, &Dataplane::on_vlan_state>(
      runtime.bus(), kBusVlanState, "netif.vlan_state", this);

  if (cfg.ports.empty()) return;
  pool_ = create_pool(cfg_, static_cast<unsigned>(owned_.size()));

  // Ifindexes in config order: ports (bond members included), bonds, knis, VLANs.
  for (const PortConfig& pc : cfg_.ports) {
    if (is_member(cfg_, pc.name)) {
      open_member(pc);
    } else {
      Netdev dev;
      dev.name = pc.name;
      dev.config = pc;
      open_traffic_port(std::move(dev));
    }
  }
  for (const BondConfig& bc : cfg_.bonds) open_bond(bc);
  std::vector<Ifindex> with_kni;
  for (const auto& [ifindex, dev] : netdevs_) {
    if (dev.carries_traffic() && dev.config.kni) with_kni.push_back(ifindex);
  }
  for (const Ifindex i : with_kni) open_kni(netdevs_.at(i));
  attach_kni_rules();
  for (const VlanConfig& vc : cfg_.vlans) {
    std::string error;
    if (add_vlan(vc, &error) != 0) throw std::runtime_error("vlan '" + vc.name + "': " + error);
  }
}

Ifindex Dataplane::next_ifindex() const {
  for (unsigned i = 1; i < kMaxIfindex; ++i) {
    if (netdevs_.count(static_cast<Ifindex>(i)) == 0) return static_cast<Ifindex>(i);
  }
  return kNoIfindex;
}

Netdev& Dataplane::add_netdev(Netdev dev) {
  dev.ifindex = next_ifindex();
  if (dev.ifindex == kNoIfindex) throw std::runtime_error("netif: more than " + std::to_string(kMaxIfindex - 1) + " devices");
  const Ifindex i = dev.ifindex;
  return netdevs_.emplace(i, std::move(dev)).first->second;
}

void Dataplane::open_traffic_port(Netdev dev) {
  if (n_slots_ == kMaxSlots) {
    throw std::runtime_error("'" + dev.name + "': more than " + std::to_string(kMaxSlots) + " ports, bonds and knis");
  }
  const unsigned n_workers = static_cast<unsigned>(owned_.size() - 1);
  const OpenedPort opened = open_port(dev.config, n_workers, pool_);
  const uint8_t slot = n_slots_++;
  dev.slot = slot;
  dev.port_id = opened.port_id;
  dev.rx_queues = opened.rx_queues;
  dev.tx_queues = opened.tx_queues;
  dev.driver = opened.driver;
  dev.mac = opened.mac;
  dev.mtu = dev.config.mtu;
  dev.promisc = dev.config.promisc;
  Netdev& d = add_netdev(std::move(dev));

  // RX queue q belongs to worker q mod W (a kni's: the master, which sends them on); TX queue i to lcore i
  // (the master's is the last).
  for (uint16_t q = 0; q < opened.rx_queues; ++q) {
    LcoreState& st = d.kind == ctrl::netif_msg::LinkKind::kni ? *owned_.back() : *owned_[q % n_workers];
    if (st.rx_count == st.rx.size()) {
      throw std::runtime_error("'" + d.name + "': more than " + std::to_string(st.rx.size()) + " RX queues on one lcore");
    }
    OwnedRxQueue& rq = st.rx[st.rx_count++];
    rq.port_id = opened.port_id;
    rq.queue = q;
    rq.slot = slot;
    if (d.kind == ctrl::netif_msg::LinkKind::kni) rq.forward_slot = netdevs_.at(d.parent).slot;
  }
  for (size_t i = 0; i < owned_.size(); ++i) {
    LcoreState& st = *owned_[i];
    TxPort& tx = st.tx[slot];
    tx.present = true;
    tx.port_id = opened.port_id;
    tx.queue = static_cast<uint16_t>(i);
    LcorePortView& view = st.ports[slot];
    view.present = true;
    view.up = true;
    view.promisc = d.promisc;
    view.tx_vlan_insert = opened.tx_vlan_insert;
    view.ifindex = d.ifindex;
    std::memcpy(view.mac.addr_bytes, opened.mac.bytes.data(), RTE_ETHER_ADDR_LEN);
    st.devs[d.ifindex] = DevRef{SlotKind::port, slot};
  }
  FLOG(g_log, INFO, "%s: %s port %u, ifindex %u, mac %s, mtu %u, %u RX / %u TX queues, promisc %s%s", d.name.c_str(),
       opened.driver.c_str(), opened.port_id, d.ifindex, opened.mac.to_string().c_str(), d.mtu, opened.rx_queues,
       opened.tx_queues, d.promisc ? "on" : "off", opened.tx_vlan_insert ? ", VLAN offload" : "");
}

void Dataplane::close() {
  // The lcores have stopped: whatever is still buffered will never be sent.
  for (auto& st : owned_) {
    for (auto& tx : st->tx) {
      if (tx.count > 0) rte_pktmbuf_free_bulk(tx.pkts.data(), tx.count);
      tx.count = 0;
    }
  }
  // Knis and bonds before the ports under them: a bond still holds its members.
  for (auto kind : {ctrl::netif_msg::LinkKind::kni, ctrl::netif_msg::LinkKind::bond, ctrl::netif_msg::LinkKind::port}) {
    for (const auto& [ifindex, dev] : netdevs_) {
      if (dev.kind == kind) close_port(dev.port_id);
    }
  }
  netdevs_.clear();
  if (pool_ != nullptr) rte_mempool_free(pool_);
  pool_ = nullptr;
}

void Dataplane::register_ethertype(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx) {
  if (running_.load(std::memory_order_relaxed)) {
    throw std::logic_error(std::string("netif: ethertype handler ") + name + " registered after the lcores started");
  }
  ethertypes_.add(ethertype, name, fn, ctx);
}

Netdev* Dataplane::find(std::string_view name) {
  for (auto& [ifindex, d] : netdevs_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const Netdev* Dataplane::find(std::string_view name) const { return const_cast<Dataplane*>(this)->find(name); }

const Netdev* Dataplane::get(Ifindex ifindex) const {
  const auto it = netdevs_.find(ifindex);
  return it == netdevs_.end() ? nullptr : &it->second;
}

int Dataplane::on_port_state(Dataplane* self, const PortStateMsg& msg, core::NoReply&) {
  LcoreState* st = self->state_of_calling_lcore();
  if (st == nullptr) return EINVAL;
  if (msg.kind == static_cast<uint8_t>(SlotKind::port) ? msg.slot >= kMaxSlots : msg.slot >= kMaxVlans) return EINVAL;
  apply_port_state(*st, msg);
  return 0;
}

void Dataplane::apply_port_state(LcoreState& st, const PortStateMsg& msg) {
  if (msg.kind == static_cast<uint8_t>(SlotKind::vlan)) {
    st.vlans[msg.slot].up = msg.up != 0;
    return;
  }
  LcorePortView& view = st.ports[msg.slot];
  view.up = msg.up != 0;
  view.promisc = msg.promisc != 0;
}

int Dataplane::push_port_state(const Netdev& dev, std::string* error) {
  const bool vlan = dev.kind == ctrl::netif_msg::LinkKind::vlan;
  const PortStateMsg msg{static_cast<uint8_t>(vlan ? SlotKind::vlan : SlotKind::port), vlan ? dev.vlan_slot : dev.slot,
                         static_cast<uint8_t>(dev.admin_up), static_cast<uint8_t>(dev.promisc)};
  const core::CallResult r = port_state_msg_->call_workers(msg, kWorkerCallTimeout);
  if (!r.ok()) {
    *error = r.error;
    return r.status;
  }
  apply_port_state(*by_lcore_[runtime_->master()], msg);
  return 0;
}

// --- the façade other layers hold ---

void Netif::register_ethertype(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx) {
  dp_->register_ethertype(ethertype, name, fn, ctx);
}

void Netif::send(rte_mbuf* m, Ifindex ifindex) { dp_->send(m, ifindex); }

void Netif::to_kernel(rte_mbuf* m) { dp_->to_kernel(m); }

rte_mempool* Netif::pool() const { return dp_->pool(); }

Ifindex Netif::find(std::string_view name) const {
  const Netdev* d = static_cast<const Dataplane*>(dp_)->find(name);
  return d ? d->ifindex : kNoIfindex;
}

std::optional<MacAddress> Netif::mac(Ifindex ifindex) const {
  const Netdev* d = static_cast<const Dataplane*>(dp_)->get(ifindex);
  return d ? std::optional<MacAddress>(d->mac) : std::nullopt;
}

std::optional<std::string> Netif::name(Ifindex ifindex) const {
  const Netdev* d = static_cast<const Dataplane*>(dp_)->get(ifindex);
  return d ? std::optional<std::string>(d->name) : std::nullopt;
}

uint16_t Netif::mtu(Ifindex ifindex) const {
  const Dataplane& dp = *dp_;
  const Netdev* d = dp.get(ifindex);
  if (d != nullptr && d->kind == ctrl::netif_msg::LinkKind::vlan) d = dp.get(d->parent);
  return d ? d->mtu : 0;
}

bool Netif::carries_ip(Ifindex ifindex) const {
  const Netdev* d = static_cast<const Dataplane*>(dp_)->get(ifindex);
  return d != nullptr && d->kind != ctrl::netif_msg::LinkKind::kni && d->master == kNoIfindex;
}

void Netif::on_netdev_removed(std::function<void(Ifindex)> fn) { dp_->on_netdev_removed(std::move(fn)); }

}  // namespace fulcrum::netif
