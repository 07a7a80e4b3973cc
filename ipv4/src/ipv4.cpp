#include "ipv4.hpp"

#include <stdexcept>
#include <string>

#include <rte_cycles.h>
#include <rte_errno.h>

namespace fulcrum::ipv4 {
namespace {

// Associativity of the reassembly table: flows hashing to one bucket before the oldest is evicted.
constexpr uint32_t kFragBucketEntries = 16;

}  // namespace

Ipv4::Ipv4(inet::Inet& inet) : inet_(inet), netif_(inet.netif()) {}

Ipv4::~Ipv4() { stop(); }

void Ipv4::init(core::ModuleContext& ctx) {
  const inet::InetConfig& cfg = inet_.config();
  frag_cycles_ = rte_get_tsc_hz() / 1000 * cfg.reassembly_timeout_ms;
  for (unsigned w : ctx.runtime.workers()) {
    auto l = std::make_unique<Lcore>();
    if (cfg.reassembly) {
      // Buckets of kFragBucketEntries flows each: room for reassembly_flows in all.
      l->frag = rte_ip_frag_table_create((cfg.reassembly_flows + kFragBucketEntries - 1) / kFragBucketEntries,
                                         kFragBucketEntries, cfg.reassembly_flows,
                                         frag_cycles_, static_cast<int>(rte_lcore_to_socket_id(w)));
      if (l->frag == nullptr) {
        throw std::runtime_error("ipv4: cannot create the reassembly table of lcore " + std::to_string(w) + " (" +
                                 std::to_string(cfg.reassembly_flows) + " flows, inet.reassembly_flows): " +
                                 rte_strerror(rte_errno));
      }
    }
    lcores_[w] = l.get();
    owned_.push_back(std::move(l));
  }
  netif_.register_ethertype(RTE_ETHER_TYPE_IPV4, "ipv4", &Ipv4::on_ipv4, this);
  netif_.register_ethertype(RTE_ETHER_TYPE_ARP, "arp", &Ipv4::on_arp, this);
  inet_.register_protocol(Family::v4, IPPROTO_ICMP, "icmp", &Ipv4::on_icmp, this);
  inet_.register_family(Family::v4, *this);
}

void Ipv4::stop() {
  for (auto& l : owned_) {
    rte_ip_frag_free_death_row(&l->death, 0);
    if (l->frag != nullptr) rte_ip_frag_table_destroy(l->frag);
    l->frag = nullptr;
  }
  owned_.clear();
  lcores_.fill(nullptr);
}

}  // namespace fulcrum::ipv4
