#pragma once
// Dispatch of a received burst by ethertype: the burst is split into one group per registered ethertype
// (order kept within each group), then each handler is called once with its whole group, so the packet
// loop makes no indirect call per packet. No EAL needed: unit tests drive it with plain arrays.

#include <array>
#include <cstdint>

#include "fulcrum/netif/netif.hpp"

namespace fulcrum::netif {

constexpr uint16_t kRxBurst = 32;
constexpr unsigned kMaxEthertypeHandlers = 8;

class EthertypeTable {
 public:
  struct Entry {
    uint16_t ethertype_be = 0;  // network order, as it sits in the frame: compared without a byte swap
    const char* name = "";
    EthertypeHandler fn = nullptr;
    void* ctx = nullptr;
  };

  // Throws std::logic_error for a duplicate ethertype or a full table. `ethertype` is in host order.
  void add(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx);

  // The handler slot for an ethertype in network order, or -1. Few handlers (IPv4, IPv6, ARP): a linear
  // scan over one cache line beats a hash.
  int slot_of(uint16_t ethertype_be) const {
    for (unsigned i = 0; i < count_; ++i) {
      if (entries_[i].ethertype_be == ethertype_be) return static_cast<int>(i);
    }
    return -1;
  }
  unsigned size() const { return count_; }
  const Entry& entry(unsigned slot) const { return entries_[slot]; }

 private:
  std::array<Entry, kMaxEthertypeHandlers> entries_{};
  unsigned count_ = 0;
};

// Per-lcore scratch: the groups of one burst.
class BurstGroups {
 public:
  void add(unsigned slot, rte_mbuf* m) { pkts_[slot][count_[slot]++] = m; }

  // Calls each handler with its group and empties the groups.
  void deliver(const EthertypeTable& table) {
    for (unsigned s = 0; s < table.size(); ++s) {
      if (count_[s] == 0) continue;
      const auto& e = table.entry(s);
      e.fn(e.ctx, pkts_[s].data(), count_[s]);
      count_[s] = 0;
    }
  }

 private:
  std::array<std::array<rte_mbuf*, kRxBurst>, kMaxEthertypeHandlers> pkts_{};
  std::array<uint16_t, kMaxEthertypeHandlers> count_{};
};

}  // namespace fulcrum::netif
