#include "ipv6.hpp"

#include <stdexcept>
#include <string>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "ipv6_check.hpp"

namespace fulcrum::ipv6 {
namespace {

constexpr uint32_t kFragBucketEntries = 16;

}  // namespace

Ipv6::Ipv6(inet::Inet& inet) : inet_(inet), netif_(inet.netif()) {}

Ipv6::~Ipv6() { stop(); }

void Ipv6::init(core::ModuleContext& ctx) {
  const inet::InetConfig& cfg = inet_.config();
  const uint64_t cycles = rte_get_tsc_hz() / 1000 * cfg.reassembly_timeout_ms;
  for (unsigned w : ctx.runtime.workers()) {
    auto l = std::make_unique<Lcore>();
    if (cfg.reassembly) {
      // Buckets of kFragBucketEntries flows each: room for reassembly_flows in all.
      l->frag = rte_ip_frag_table_create((cfg.reassembly_flows + kFragBucketEntries - 1) / kFragBucketEntries,
                                         kFragBucketEntries, cfg.reassembly_flows, cycles,
                                         static_cast<int>(rte_lcore_to_socket_id(w)));
      if (l->frag == nullptr) {
        throw std::runtime_error("ipv6: cannot create the reassembly table of lcore " + std::to_string(w) + " (" +
                                 std::to_string(cfg.reassembly_flows) + " flows, inet.reassembly_flows): " +
                                 rte_strerror(rte_errno));
      }
    }
    lcores_[w] = l.get();
    owned_.push_back(std::move(l));
  }
  netif_.register_ethertype(RTE_ETHER_TYPE_IPV6, "ipv6", &Ipv6::on_ipv6, this);
  inet_.register_protocol(Family::v6, kIcmp6, "icmpv6", &Ipv6::on_icmp6, this);
  inet_.register_family(Family::v6, *this);
}

void Ipv6::stop() {
  for (auto& l : owned_) {
    rte_ip_frag_free_death_row(&l->death, 0);
    if (l->frag != nullptr) rte_ip_frag_table_destroy(l->frag);
    l->frag = nullptr;
  }
  owned_.clear();
  lcores_.fill(nullptr);
}

uint16_t icmp6_sum(const rte_mbuf* m) {
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr*);
  const uint32_t len = m->pkt_len - m->l3_len;
  return inet::checksum_mbuf(m, m->l3_len, len, pseudo_sum(ip->src_addr, ip->dst_addr, len, kIcmp6));
}

void icmp6_fill_checksum(rte_mbuf* m) {
  auto* cksum = rte_pktmbuf_mtod_offset(m, uint16_t*, m->l3_len + 2);
  *cksum = 0;
  *cksum = static_cast<uint16_t>(~icmp6_sum(m));
}

}  // namespace fulcrum::ipv6
