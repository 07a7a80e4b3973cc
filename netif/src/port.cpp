#include "port.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

namespace fulcrum::netif {
namespace {

std::string err_text(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

[[noreturn]] void fail(const PortConfig& cfg, const std::string& what) {
  const std::string dev = cfg.pci.empty() ? "vdev \"" + cfg.vdev + "\"" : "pci \"" + cfg.pci + "\"";
  throw std::runtime_error("port '" + cfg.name + "' (" + dev + "): " + what);
}

// EAL probed the NIC at its start (the daemon allows exactly the configured PCI addresses), if a DPDK driver
// could take it: there is nothing to create, only the port to find.
uint16_t find_pci_port(const PortConfig& cfg) {
  uint16_t port_id = 0;
  if (rte_eth_dev_get_port_by_name(cfg.pci.c_str(), &port_id) != 0) {
    fail(cfg, "no DPDK port on this PCI address: is the NIC there (lspci -D) and bound to vfio-pci or "
              "uio_pci_generic (dpdk-devbind.py --status)?");
  }
  return port_id;
}


}  // namespace

uint16_t probe_port(const PortConfig& cfg, std::string* driver) {
  uint16_t port_id = 0;
  if (!cfg.pci.empty()) {
    port_id = find_pci_port(cfg);
  } else {
    const std::string dev_name(vdev_device_name(cfg.vdev));
    if (const int rc = rte_dev_probe(cfg.vdev.c_str()); rc < 0) {
      fail(cfg, "can not create the device: " + err_text(rc) + " (check the driver name and its arguments)");
    }
    if (rte_eth_dev_get_port_by_name(dev_name.c_str(), &port_id) != 0) {
      rte_eal_hotplug_remove("vdev", dev_name.c_str());
      fail(cfg, "the device \"" + dev_name + "\" is not an ethernet port");
    }
  }
  rte_eth_dev_info info{};
  if (const int rc = rte_eth_dev_info_get(port_id, &info); rc != 0) {
    close_port(port_id);
    fail(cfg, "no device info: " + err_text(rc));
  }
  *driver = info.driver_name ? info.driver_name : "";
  return port_id;
}

OpenedPort open_port(const PortConfig& cfg, unsigned workers, rte_mempool* pool) {
  OpenedPort out;
  out.port_id = probe_port(cfg, &out.driver);
  try {
    rte_eth_dev_info info{};
    if (const int rc = rte_eth_dev_info_get(out.port_id, &info); rc != 0) fail(cfg, "no device info: " + err_text(rc));
    const bool every_queue_fed = feeds_every_queue(out.driver);

    out.rx_queues = cfg.rx_queues != 0 ? cfg.rx_queues
                    : every_queue_fed           ? info.max_rx_queues
                                                : static_cast<uint16_t>(workers);
    out.tx_queues = cfg.tx_queues != 0 ? cfg.tx_queues : static_cast<uint16_t>(workers + 1);
    if (out.rx_queues > info.max_rx_queues || out.tx_queues > info.max_tx_queues) {
      fail(cfg, "needs " + std::to_string(out.rx_queues) + " RX and " + std::to_string(out.tx_queues) +
                    " TX queues but " + out.driver + " offers " + std::to_string(info.max_rx_queues) + " and " +
                    std::to_string(info.max_tx_queues) +
                    (out.driver == "net_af_packet" ? " (set qpairs=N in the vdev string)" : ""));
    }
    if (every_queue_fed && out.rx_queues != info.max_rx_queues) {
      fail(cfg, "rx_queues = " + std::to_string(out.rx_queues) + " but " + out.driver + " spreads traffic over all " +
                    std::to_string(info.max_rx_queues) + " of its queue pairs: every one must be polled");
    }
    if (out.tx_queues < workers + 1) {
      fail(cfg, "tx_queues = " + std::to_string(out.tx_queues) + ": every worker and the master need a TX queue of " +
                    "their own (" + std::to_string(workers + 1) + ")");
    }
    if (cfg.mtu < info.min_mtu || cfg.mtu > info.max_mtu) {
      fail(cfg, "mtu " + std::to_string(cfg.mtu) + " is outside what " + out.driver + " allows (" +
                    std::to_string(info.min_mtu) + " to " + std::to_string(info.max_mtu) + ")");
    }

    rte_eth_conf conf{};
    conf.rxmode.mtu = cfg.mtu;
    // Tags in and out by the NIC where it can (af_packet: the kernel): the packet path then moves no bytes.
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT) {
      conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
      out.tx_vlan_insert = true;
    }
    // Several RX queues on a NIC: it spreads flows over them by hash (RSS) on whatever of the IP addresses and
    // TCP/UDP ports it can hash. Replies are steered in software anyway (local ports name their worker). The
    // vdevs spread by themselves (af_packet's fanout) or have one source (tap, ring, pcap): left as they are.
    const uint64_t rss = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
    if (!cfg.pci.empty() && out.rx_queues > 1 && rss != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = rss;
    }
    if (const int rc = rte_eth_dev_configure(out.port_id, out.rx_queues, out.tx_queues, &conf); rc != 0) {
      fail(cfg, "configure with " + std::to_string(out.rx_queues) + " RX / " + std::to_string(out.tx_queues) +
                    " TX queues: " + err_text(rc));
    }
    uint16_t rx_desc = cfg.rx_desc;
    uint16_t tx_desc = cfg.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(out.port_id, &rx_desc, &tx_desc);
    const int socket = rte_eth_dev_socket_id(out.port_id) >= 0 ? rte_eth_dev_socket_id(out.port_id)
                                                               : static_cast<int>(rte_socket_id());
    for (uint16_t q = 0; q < out.rx_queues; ++q) {
      if (const int rc = rte_eth_rx_queue_setup(out.port_id, q, rx_desc, static_cast<unsigned>(socket), nullptr, pool);
          rc != 0) {
        fail(cfg, "RX queue " + std::to_string(q) + ": " + err_text(rc));
      }
    }
    for (uint16_t q = 0; q < out.tx_queues; ++q) {
      if (const int rc = rte_eth_tx_queue_setup(out.port_id, q, tx_desc, static_cast<unsigned>(socket), nullptr);
          rc != 0) {
        fail(cfg, "TX queue " + std::to_string(q) + ": " + err_text(rc));
      }
    }
    if (cfg.mac) {
      rte_ether_addr addr;
      std::memcpy(addr.addr_bytes, cfg.mac->bytes.data(), RTE_ETHER_ADDR_LEN);
      if (const int rc = rte_eth_dev_default_mac_addr_set(out.port_id, &addr); rc != 0) {
        fail(cfg, "mac " + cfg.mac->to_string() + ": " + err_text(rc));
      }
    }
    if (const int rc = rte_eth_dev_start(out.port_id); rc != 0) fail(cfg, "start: " + err_text(rc));
    if (const int rc = set_port_promisc(out.port_id, cfg.promisc); rc != 0 && rc != -ENOTSUP) {
      fail(cfg, std::string("promisc ") + (cfg.promisc ? "on" : "off") + ": " + err_text(rc));
    }
    rte_ether_addr addr;
    rte_eth_macaddr_get(out.port_id, &addr);
    if (cfg.mac && std::memcmp(addr.addr_bytes, cfg.mac->bytes.data(), RTE_ETHER_ADDR_LEN) != 0) {
      // net_bonding takes its primary member's address when it starts: set ours again.
      std::memcpy(addr.addr_bytes, cfg.mac->bytes.data(), RTE_ETHER_ADDR_LEN);
      if (const int rc = rte_eth_dev_default_mac_addr_set(out.port_id, &addr); rc != 0) {
        fail(cfg, "mac " + cfg.mac->to_string() + ": " + err_text(rc));
      }
      rte_eth_macaddr_get(out.port_id, &addr);
    }
    std::memcpy(out.mac.bytes.data(), addr.addr_bytes, RTE_ETHER_ADDR_LEN);
  } catch (...) {
    close_port(out.port_id);
    throw;
  }
  return out;
}

void close_port(uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);  // releases a vdev's port; the device itself goes with EAL cleanup
}

int set_port_mtu(uint16_t port_id, uint16_t mtu) { return rte_eth_dev_set_mtu(port_id, mtu); }

int set_port_promisc(uint16_t port_id, bool on) {
  return on ? rte_eth_promiscuous_enable(port_id) : rte_eth_promiscuous_disable(port_id);
}

int set_port_link(uint16_t port_id, bool up) {
  const int rc = up ? rte_eth_dev_set_link_up(port_id) : rte_eth_dev_set_link_down(port_id);
  return rc == -ENOTSUP ? 0 : rc;
}

}  // namespace fulcrum::netif
