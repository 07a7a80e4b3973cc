// [[vip_binding]] in the config: the keys mirror [[service]]'s (vip, forward, local_addresses, toa), so that a
// binding reads as "every service on this VIP, as far as it says nothing itself".

#include "vip_binding_config.hpp"

#include <arpa/inet.h>

#include <cerrno>

#include "service/service_table.hpp"

namespace fulcrum::ipvs {
namespace {

bool parse(const std::string& text, Family* family, IpAddr* out) {
  *out = IpAddr{};
  if (inet_pton(AF_INET, text.c_str(), out->bytes.data()) == 1) {
    *family = Family::v4;
    return true;
  }
  *out = IpAddr{};
  if (inet_pton(AF_INET6, text.c_str(), out->bytes.data()) == 1) {
    *family = Family::v6;
    return true;
  }
  return false;
}

struct RawBinding {
  std::string vip, forward;
  std::vector<std::string> laddrs;
  bool toa = true;
};

RawBinding read_keys(core::ConfigTable& t) {
  RawBinding r;
  r.vip = t.get_string("vip", "", "required: the virtual IP address, IPv4 or IPv6, whose services take the binding");
  r.forward = t.get_enum("forward", "fullnat", {"fullnat"},
                         "what the masq (NAT) real servers of the VIP's services become; only fullnat");
  r.laddrs = t.get_string_array("local_addresses", {},
                                "required: the local-address group each new service on the VIP starts with "
                                "(fnat-local balancer addresses of the VIP's family)");
  r.toa = t.get_bool("toa", true, "the client's address and port in a TCP option (TOA) to the real servers");
  return r;
}

VipBinding to_binding(core::ConfigTable& t, const RawBinding& r, const std::vector<VipBinding>& earlier) {
  VipBinding b;
  if (!t.has("vip")) t.fail("vip", "is required (an IPv4 or IPv6 address)");
  if (!parse(r.vip, &b.family, &b.vip)) t.fail("vip", "must be an IPv4 or IPv6 address");
  for (size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].family == b.family && earlier[i].vip == b.vip) {
      t.fail("vip", "must be unique: vip_binding[" + std::to_string(i) + "] binds it too");
    }
  }
  if (r.laddrs.empty()) {
    // keepalived and stock ipvsadm can not add local addresses: without a group the services would be dead.
    t.fail("local_addresses", "must hold at least one local address (a fnat-local address of the VIP's family)");
  }
  // The unicast rule and the group's size are ServiceTable's: a scratch service on the VIP checks them.
  ServiceTable scratch(1);
  ServiceSpec probe;
  probe.key.family = b.family;
  probe.key.addr = b.vip;
  uint32_t slot = 0;
  (void)scratch.add_service(probe, &slot);
  for (size_t i = 0; i < r.laddrs.size(); ++i) {
    Family f = Family::v4;
    IpAddr a;
    if (!parse(r.laddrs[i], &f, &a)) t.fail("local_addresses", i, "must be an IPv4 or IPv6 address");
    if (f != b.family) t.fail("local_addresses", i, "must be of the VIP's family");
    uint16_t id = 0;
    bool fresh = false;
    if (Status st = scratch.add_laddr(probe.key, a, &slot, &id, &fresh); !st.ok()) {
      if (st.err == EEXIST) t.fail("local_addresses", i, "is listed twice");
      if (st.err == EINVAL) t.fail("local_addresses", i, "must be a unicast address");
      t.fail("local_addresses", i, st.msg);
    }
    b.laddrs.push_back(a);
  }
  b.forward = ForwardMethod::fullnat;
  b.toa = r.toa;
  return b;
}

}  // namespace

std::vector<VipBinding> read_vip_bindings(core::ConfigTable& root) {
  std::vector<VipBinding> out;
  auto tables = root.tables("vip_binding", "a per-VIP binding: [[vip_binding]] per VIP address");
  if (tables.empty()) {
    core::ConfigTable schema_only = root.table("vip_binding[]", "");
    (void)read_keys(schema_only);
  }
  for (auto& t : tables) out.push_back(to_binding(t, read_keys(t), out));
  return out;
}

const VipBinding* binding_for(const std::vector<VipBinding>& bindings, const ServiceKey& key) {
  for (const VipBinding& b : bindings) {
    if (b.family == key.family && b.vip == key.addr) return &b;
  }
  return nullptr;
}

void take_binding(const core::ConfigTable& t, const VipBinding& b, ServiceSpec* spec,
                  std::vector<std::string>* laddrs) {
  if (!t.has("forward")) spec->forward = b.forward;
  if (!t.has("toa")) spec->toa = b.toa;
  if (!t.has("local_addresses")) {
    laddrs->clear();
    for (const IpAddr& a : b.laddrs) laddrs->push_back(to_string(b.family, a));
  }
}

}  // namespace fulcrum::ipvs
