// SNAT rules: the checks of a rule as the config states it, and the workers' first-match table.

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "fulcrum/ipvs/service.hpp"
#include "fulcrum/ipvs/snat_rule.hpp"

namespace fulcrum::ipvs {

std::string check_snat_rule(const SnatRule& r) {
  const unsigned bits = addr_len(r.family) * 8;
  if (r.prefix > bits) {
    return "prefix: " + std::to_string(r.prefix) + " is more than " + std::to_string(bits) + " bits";
  }
  for (unsigned i = 0; i < addr_len(r.family); ++i) {
    const unsigned keep = r.prefix >= (i + 1) * 8 ? 8 : r.prefix > i * 8 ? r.prefix - i * 8 : 0;
    const uint8_t host = static_cast<uint8_t>(0xffu >> keep);
    if ((r.source.bytes[i] & host) != 0) {
      return "source: " + to_string(r.family, r.source) + "/" + std::to_string(r.prefix) +
             " has host bits set (not a network address)";
    }
  }
  if (r.protocol != 0 && r.protocol != kProtoTcp && r.protocol != kProtoUdp) {
    return "proto: " + std::to_string(r.protocol) + " is neither TCP nor UDP";
  }
  if (r.dport_min > r.dport_max) {
    return "dport: " + std::to_string(r.dport_min) + "-" + std::to_string(r.dport_max) + " is an empty range";
  }
  if (r.laddrs.empty()) return "local_addresses: a rule needs at least one";
  if (r.laddrs.size() > kMaxSnatLaddrs) {
    return "local_addresses: at most " + std::to_string(kMaxSnatLaddrs) + " per rule";
  }
  return {};
}

std::string to_string(const SnatRule& r) {
  std::string s = to_string(r.family, r.source) + "/" + std::to_string(r.prefix);
  s += r.protocol == 0 ? " any" : r.protocol == kProtoTcp ? " tcp" : " udp";
  if (r.dport_min != 0 || r.dport_max != 65535) {
    s += " dport " + std::to_string(r.dport_min);
    if (r.dport_max != r.dport_min) s += "-" + std::to_string(r.dport_max);
  }
  s += " via ";
  for (size_t i = 0; i < r.laddrs.size(); ++i) s += (i ? "," : "") + to_string(r.family, r.laddrs[i]);
  return s;
}

void SnatRules::add(const SnatRule& r, const std::vector<uint16_t>& laddr_ids) {
  SnatMatch m;
  m.family = static_cast<uint8_t>(r.family);
  m.protocol = r.protocol;
  m.dport_min = r.dport_min;
  m.dport_max = r.dport_max;
  for (unsigned i = 0; i < addr_len(r.family); ++i) {
    const unsigned keep = r.prefix >= (i + 1) * 8 ? 8 : r.prefix > i * 8 ? r.prefix - i * 8 : 0;
    m.mask[i] = static_cast<uint8_t>(0xff00u >> keep);
    m.net[i] = static_cast<uint8_t>(r.source.bytes[i] & m.mask[i]);
  }
  m.n_laddrs = static_cast<uint16_t>(std::min(laddr_ids.size(), kMaxSnatLaddrs));
  std::memcpy(m.laddr_ids, laddr_ids.data(), m.n_laddrs * sizeof(uint16_t));
  m.index = static_cast<uint32_t>(rules_.size());
  rules_.push_back(m);
  specs_.push_back(r);
}

const SnatMatch* SnatRules::match(uint8_t family, const uint8_t* saddr, uint8_t protocol,
                                  uint16_t dport_be) const noexcept {
  // A handful of rules, consulted once per new outbound flow: a linear scan in the operator's order is what
  // makes "first match wins" hold, and costs less than any index at this size.
  // "any" is TCP and UDP, the protocols whose ports name the worker that owns the reply.
  if (protocol != kProtoTcp && protocol != kProtoUdp) return nullptr;
  const uint16_t dport = ntohs(dport_be);
  const unsigned n = family == 4 ? 4 : 16;
  for (const SnatMatch& m : rules_) {
    if (m.family != family || (m.protocol != 0 && m.protocol != protocol)) continue;
    if (dport < m.dport_min || dport > m.dport_max) continue;
    bool in = true;
    for (unsigned i = 0; i < n && in; ++i) in = (saddr[i] & m.mask[i]) == m.net[i];
    if (in) return &m;
  }
  return nullptr;
}

}  // namespace fulcrum::ipvs
