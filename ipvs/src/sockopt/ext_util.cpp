#include "ext_util.hpp"

#include <cerrno>
#include <cstring>


namespace fulcrum::ipvs::sockopt {

bool version_ok(uint32_t version, const ctrl::Request& in, ctrl::Response& out, int& rc) {
  if (version == msg::kVersion) return true;
  rc = malformed(in, out, EPROTO,
                 "version " + std::to_string(version) + ": this daemon speaks version " + std::to_string(msg::kVersion));
  return false;
}

bool family_ok(uint8_t family, const char* field, ctrl::Response& out, int& rc, Family* f) {
  if (family == msg::family_v4 || family == msg::family_v6) {
    *f = static_cast<Family>(family);
    return true;
  }
  rc = fail(out, EINVAL, std::string(field) + " " + std::to_string(family) + ": must be 4 or 6");
  return false;
}

bool key_ok(const msg::ServiceKey& wire, ctrl::Response& out, int& rc, ServiceKey* key) {
  if (!family_ok(wire.family, "service family", out, rc, &key->family)) return false;
  if (!valid_protocol(wire.protocol)) {
    rc = fail(out, EFAULT, "service " + protocol_problem(wire.protocol));
    return false;
  }
  key->protocol = wire.protocol;
  key->addr = addr_of(wire.addr, key->family);
  key->port = wire.port;
  return true;
}

bool forward_ok(uint8_t value, const char* field, ctrl::Response& out, int& rc, ForwardMethod* m) {
  const auto fwd = value <= msg::fwd_fullnat ? forward_method_from_conn_flags(value) : std::nullopt;
  if (fwd) {
    *m = *fwd;
    return true;
  }
  rc = fail(out, EINVAL, std::string(field) + " " + std::to_string(value) +
                             ": must be masq (0), tunnel (2), droute (3) or fullnat (5)");
  return false;
}

IpAddr addr_of(const uint8_t (&wire)[msg::kAddrSize], Family f) {
  IpAddr a;
  std::memcpy(a.bytes.data(), wire, addr_len(f));
  return a;
}

void put_key(msg::ServiceKey& wire, const ServiceKey& key) {
  wire.protocol = key.protocol;
  wire.family = static_cast<uint8_t>(key.family);
  wire.port = key.port;
  std::memcpy(wire.addr, key.addr.bytes.data(), sizeof wire.addr);
}

void put_stats(msg::StatsRates& wire, const Stats& s, const Rates& r) {
  wire.conns = s.conns;
  wire.inpkts = s.inpkts;
  wire.outpkts = s.outpkts;
  wire.inbytes = s.inbytes;
  wire.outbytes = s.outbytes;
  wire.cps = r.cps;
  wire.inpps = r.inpps;
  wire.outpps = r.outpps;
  wire.inbps = r.inbps;
  wire.outbps = r.outbps;
}

Page page_of(size_t total, uint32_t offset, uint32_t max) {
  const size_t limit = max == 0 || max > msg::kMaxEntriesPerPage ? msg::kMaxEntriesPerPage : max;
  Page p;
  p.first = std::min<size_t>(offset, total);
  p.count = std::min(limit, total - p.first);
  return p;
}

void put_head(std::vector<unsigned char>& out, size_t total, const Page& p) {
  const msg::ListHead head{msg::kVersion, static_cast<uint32_t>(p.count), static_cast<uint32_t>(total),
                           static_cast<uint32_t>(p.first)};
  append(out, head);
}

void put_laddrs(std::vector<unsigned char>& out, Family f, const std::vector<IpAddr>& addrs) {
  for (const IpAddr& a : addrs) {
    msg::LaddrAddr e{};
    e.family = static_cast<uint8_t>(f);
    std::memcpy(e.addr, a.bytes.data(), sizeof e.addr);
    append(out, e);
  }
}

}  // namespace fulcrum::ipvs::sockopt
