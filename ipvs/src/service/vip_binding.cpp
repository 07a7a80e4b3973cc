// VipBindings: the per-VIP bindings that ServiceManager applies to each service created on a bound VIP.

#include "fulcrum/ipvs/vip_binding.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "service_table.hpp"

namespace fulcrum::ipvs {
namespace {

// Bytes past the family's length are ignored on the way in, so that equality is on what counts.
IpAddr only_family_bytes(const IpAddr& a, Family f) {
  IpAddr out;
  std::memcpy(out.bytes.data(), a.bytes.data(), addr_len(f));
  return out;
}

}  // namespace

std::string binding_name(const VipBinding& b) { return "binding of VIP " + to_string(b.family, b.vip); }

Status VipBindings::set(const VipBinding& in) {
  VipBinding b = in;
  b.vip = only_family_bytes(b.vip, b.family);
  const std::string who = binding_name(b);
  if (b.forward != ForwardMethod::fullnat) {
    return Status::fail(EINVAL, who + ": forward \"" + to_string(b.forward) +
                                    "\": a binding can only make masq real servers FullNAT (\"fullnat\")");
  }
  if (b.laddrs.size() > kMaxLaddrsPerService) {
    return Status::fail(ENOSPC, who + ": local_addresses: " + std::to_string(b.laddrs.size()) +
                                    " addresses, a group holds at most " + std::to_string(kMaxLaddrsPerService));
  }
  for (size_t i = 0; i < b.laddrs.size(); ++i) {
    // A local address has no family of its own here: one whose bytes past 4 are set cannot be IPv4.
    if (b.family == Family::v4 &&
        std::any_of(b.laddrs[i].bytes.begin() + 4, b.laddrs[i].bytes.end(), [](uint8_t x) { return x != 0; })) {
      return Status::fail(EAFNOSUPPORT, who + ": local_addresses[" + std::to_string(i) +
                                            "]: an IPv6 address for an IPv4 VIP");
    }
    b.laddrs[i] = only_family_bytes(b.laddrs[i], b.family);
    for (size_t j = 0; j < i; ++j) {
      if (b.laddrs[j] == b.laddrs[i]) {
        return Status::fail(EINVAL, who + ": local_addresses[" + std::to_string(i) + "] " +
                                        to_string(b.family, b.laddrs[i]) + " is listed twice");
      }
    }
  }
  for (VipBinding& cur : bindings_) {
    if (cur.family == b.family && cur.vip == b.vip) {
      cur = std::move(b);
      return {};
    }
  }
  bindings_.push_back(std::move(b));
  return {};
}

Status VipBindings::remove(Family f, const IpAddr& vip) {
  const IpAddr a = only_family_bytes(vip, f);
  const auto n = std::erase_if(bindings_, [&](const VipBinding& b) { return b.family == f && b.vip == a; });
  if (n == 0) return Status::fail(ENOENT, "VIP " + to_string(f, a) + ": no binding");
  return {};
}

const VipBinding* VipBindings::find(Family f, const IpAddr& vip) const {
  const IpAddr a = only_family_bytes(vip, f);
  for (const VipBinding& b : bindings_) {
    if (b.family == f && b.vip == a) return &b;
  }
  return nullptr;
}

}  // namespace fulcrum::ipvs
