#pragma once
// SNAT rules, DPVS's `ipvsadm --match` SNAT: outbound flows from hosts behind the balancer, matched by their
// source network (and optionally protocol and destination port), leave from a public local address and a
// local port of the worker that owns the flow, and the replies come back to them the FullNAT way
// (LocalPortPool: the port names the owner worker). The destination is the outside host itself: there is
// no virtual service and no scheduling.
//
// The rules are set from the config before the lcores run and never change afterwards, so every worker
// reads the one table without a copy or a lock. Pure C++, no DPDK.

#include <cstdint>
#include <string>
#include <vector>

#include "fulcrum/ipvs/dest.hpp"

namespace fulcrum::ipvs {

inline constexpr size_t kMaxSnatRules = 256;
inline constexpr size_t kMaxSnatLaddrs = 16;  // addresses of one rule's pool

// A rule as the config states it.
struct SnatRule {
  Family family = Family::v4;
  IpAddr source;             // the source network; host bits must be zero
  uint8_t prefix = 0;        // 0-32 (IPv4) or 0-128 (IPv6)
  uint8_t protocol = 0;      // kProtoTcp, kProtoUdp, or 0: both
  uint16_t dport_min = 0;    // destination ports, host order, inclusive
  uint16_t dport_max = 65535;
  std::vector<IpAddr> laddrs;  // the pool: fnat-local balancer addresses of `family`
};

// A rule as the workers match it: masks precomputed, the pool as LocalPortPool ids.
struct SnatMatch {
  uint8_t family = 4;  // 4 or 6
  uint8_t protocol = 0;
  uint16_t dport_min = 0;
  uint16_t dport_max = 65535;
  uint8_t net[16] = {};
  uint8_t mask[16] = {};
  uint16_t n_laddrs = 0;
  uint16_t laddr_ids[kMaxSnatLaddrs] = {};
  uint32_t index = 0;  // its place in the table: what a log line names it by
};

class SnatRules {
 public:
  // Control path, before the lcores run: `r` (checked by check_snat_rule) with its pool's ids.
  void add(const SnatRule& r, const std::vector<uint16_t>& laddr_ids);

  // Hot path: the first rule, in the order added, that takes a flow from `saddr` (16 bytes, IPv4 in the
  // first 4) of `protocol` to `dport` (network order); null when none does.
  const SnatMatch* match(uint8_t family, const uint8_t* saddr, uint8_t protocol, uint16_t dport_be) const noexcept;

  const std::vector<SnatMatch>& all() const { return rules_; }
  const std::vector<SnatRule>& specs() const { return specs_; }
  size_t size() const { return rules_.size(); }

 private:
  std::vector<SnatMatch> rules_;
  std::vector<SnatRule> specs_;  // as stated, for listing
};

// Empty when `r` is a valid rule; otherwise the field and the reason ("prefix: 33 is more than 32 bits").
std::string check_snat_rule(const SnatRule& r);
// "198.18.5.0/24 tcp dport 80-443 via 192.0.2.10,192.0.2.11".
std::string to_string(const SnatRule& r);

}  // namespace fulcrum::ipvs
