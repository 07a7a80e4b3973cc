#include "dataplane.hpp"

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
  uint64_t needed = static_cast<uint64_t>(lcores) * (cfg.mbuf_cache + kMaxPorts * kTxBurst);
  for (const auto& p : cfg.ports) {
    const uint64_t rxq = p.rx_queues ? p.rx_queues : lcores;
    const uint64_t txq = p.tx_queues ? p.tx_queues : lcores;
    needed += rxq * p.rx_desc + txq * p.tx_desc;
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

  if (cfg.ports.empty()) return;
  pool_ = create_pool(cfg, static_cast<unsigned>(owned_.size()));

  for (size_t slot = 0; slot < cfg.ports.size(); ++slot) {
    const PortConfig& pc = cfg.ports[slot];
    const OpenedPort opened = open_port(pc, static_cast<unsigned>(workers.size()), pool_);
    Netdev dev;
    dev.ifindex = ifindex_of_slot(static_cast<unsigned>(slot));
    dev.name = pc.name;
    dev.config = pc;
    dev.port_id = opened.port_id;
    dev.rx_queues = opened.rx_queues;
    dev.tx_queues = opened.tx_queues;
    dev.driver = opened.driver;
    dev.mac = opened.mac;
    dev.mtu = pc.mtu;
    dev.promisc = pc.promisc;
    netdevs_.push_back(dev);

    // RX queue q belongs to worker q mod W; TX queue i to worker i, and queue W to the master.
    for (uint16_t q = 0; q < opened.rx_queues; ++q) {
      LcoreState& st = *owned_[q % workers.size()];
      if (st.rx_count == st.rx.size()) {
        throw std::runtime_error("port '" + pc.name + "': more than " + std::to_string(st.rx.size()) +
                                 " RX queues on one worker");
      }
      OwnedRxQueue& rq = st.rx[st.rx_count++];
      rq.port_id = opened.port_id;
      rq.queue = q;
      rq.slot = static_cast<uint8_t>(slot);
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
      view.promisc = pc.promisc;
      std::memcpy(view.mac.addr_bytes, opened.mac.bytes.data(), RTE_ETHER_ADDR_LEN);
    }
    FLOG(g_log, INFO, "%s: %s port %u, mac %s, mtu %u, %u RX / %u TX queues, promisc %s", pc.name.c_str(),
         opened.driver.c_str(), opened.port_id, opened.mac.to_string().c_str(), pc.mtu, opened.rx_queues,
         opened.tx_queues, pc.promisc ? "on" : "off");
  }
  n_ports_ = static_cast<unsigned>(netdevs_.size());
  open_vlans(cfg);
}

void Dataplane::open_vlans(const NetifConfig& cfg) {
  for (size_t v = 0; v < cfg.vlans.size(); ++v) {
    const VlanConfig& vc = cfg.vlans[v];
    const Netdev* parent = find(vc.parent);
    if (parent == nullptr || parent->kind != ctrl::netif_msg::LinkKind::port) {
      throw std::runtime_error("vlan '" + vc.name + "': no port '" + vc.parent + "'");
    }
    Netdev dev;
    dev.ifindex = ifindex_of_slot(static_cast<unsigned>(netdevs_.size()));
    dev.kind = ctrl::netif_msg::LinkKind::vlan;
    dev.name = vc.name;
    dev.port_id = parent->port_id;
    dev.driver = "vlan";
    dev.mac = vc.mac.value_or(parent->mac);
    dev.mtu = parent->mtu;
    dev.parent = parent->ifindex;
    dev.vlan_id = vc.id;
    const unsigned parent_slot = slot_of(parent->ifindex);
    for (auto& st : owned_) {
      LcoreVlanView& view = st->vlans[v];
      view.present = true;
      view.up = true;
      view.parent_slot = static_cast<uint8_t>(parent_slot);
      view.vid = vc.id;
      view.ifindex = dev.ifindex;
      std::memcpy(view.mac.addr_bytes, dev.mac.bytes.data(), RTE_ETHER_ADDR_LEN);
      st->vlan_by_vid[parent_slot][vc.id] = static_cast<uint8_t>(v + 1);
    }
    FLOG(g_log, INFO, "%s@%s: vlan id %u, ifindex %u, mac %s", dev.name.c_str(), parent->name.c_str(), vc.id,
         dev.ifindex, dev.mac.to_string().c_str());
    netdevs_.push_back(dev);
  }
}

void Dataplane::close() {
  // The lcores have stopped: whatever is still buffered will never be sent.
  for (auto& st : owned_) {
    for (auto& tx : st->tx) {
      if (tx.count > 0) rte_pktmbuf_free_bulk(tx.pkts.data(), tx.count);
      tx.count = 0;
    }
  }
  for (const auto& dev : netdevs_) {
    if (dev.kind == ctrl::netif_msg::LinkKind::port) close_port(dev.port_id);
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
  for (auto& d : netdevs_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const Netdev* Dataplane::find(std::string_view name) const { return const_cast<Dataplane*>(this)->find(name); }

int Dataplane::on_port_state(Dataplane* self, const PortStateMsg& msg, core::NoReply&) {
  LcoreState* st = self->state_of_calling_lcore();
  if (st == nullptr || msg.slot >= kMaxPorts + kMaxVlans) return EINVAL;
  self->apply_port_state(*st, msg);
  return 0;
}

void Dataplane::apply_port_state(LcoreState& st, const PortStateMsg& msg) {
  if (msg.slot >= kMaxPorts) {
    st.vlans[msg.slot - kMaxPorts].up = msg.up != 0;
    return;
  }
  LcorePortView& view = st.ports[msg.slot];
  view.up = msg.up != 0;
  view.promisc = msg.promisc != 0;
}

int Dataplane::push_port_state(const Netdev& dev, std::string* error) {
  const unsigned slot = dev.kind == ctrl::netif_msg::LinkKind::vlan ? kMaxPorts + (slot_of(dev.ifindex) - n_ports_)
                                                                      : slot_of(dev.ifindex);
  const PortStateMsg msg{static_cast<uint8_t>(slot), static_cast<uint8_t>(dev.admin_up),
                         static_cast<uint8_t>(dev.promisc), 0};
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

Ifindex Netif::find(std::string_view name) const {
  const Netdev* d = static_cast<const Dataplane*>(dp_)->find(name);
  return d ? d->ifindex : kNoIfindex;
}

std::optional<MacAddress> Netif::mac(Ifindex ifindex) const {
  const auto& devs = static_cast<const Dataplane*>(dp_)->netdevs();
  const unsigned slot = slot_of(ifindex);
  if (ifindex == kNoIfindex || slot >= devs.size()) return std::nullopt;
  return devs[slot].mac;
}

}  // namespace fulcrum::netif
