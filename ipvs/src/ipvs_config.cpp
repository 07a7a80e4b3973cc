// [[service]] and [[service.real_server]]: keepalived's vocabulary where it has a word (real_server,
// weight, uthreshold, lthreshold, persistence), ipvsadm's for the scheduler flags.

#include "fulcrum/ipvs/ipvs_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "fulcrum/ipvs/scheduler_registry.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "conn/conn_table.hpp"
#include "conn/tcp_state.hpp"
#include "service/service_table.hpp"
#include "snat_config.hpp"
#include "vip_binding_config.hpp"

namespace fulcrum::ipvs {
namespace {

struct RawDest {
  std::string addr;
  int64_t port = -1;  // -1: the service's
  int64_t weight = 1;
  int64_t uthreshold = 0;
  int64_t lthreshold = 0;
  std::string forward;  // empty: the service's
};

struct RawService {
  std::string proto, vip, scheduler, forward;
  int64_t port = 0, persistence = 0, netmask = 0;
  std::vector<std::string> flags;
  std::vector<std::string> laddrs;
  bool toa = true;
};

const std::vector<std::string> kForwards = {"fullnat", "nat", "dr", "tun"};

ForwardMethod forward_from(const std::string& word) {
  if (word == "nat") return ForwardMethod::masq;
  if (word == "dr") return ForwardMethod::droute;
  if (word == "tun") return ForwardMethod::tunnel;
  return ForwardMethod::fullnat;
}

// Reads every key without judging the required ones, so that an absent table still declares the schema.
RawDest read_dest_keys(core::ConfigTable& t) {
  RawDest d;
  d.addr = t.get_string("addr", "", "required: the real server's address, of the VIP's family");
  d.port = t.get_int("port", -1, -1, 65535, "the real server's port; -1: the service's port");
  d.weight = t.get_int("weight", 1, 0, kMaxWeight, "its share of new connections; 0 quiesces it");
  d.uthreshold = t.get_int("uthreshold", 0, 0, UINT32_MAX, "upper connection threshold; 0: none");
  d.lthreshold = t.get_int("lthreshold", 0, 0, UINT32_MAX, "lower connection threshold; 0: 3/4 of uthreshold");
  // get_enum with an empty fallback would not accept "", so the check is ours.
  d.forward = t.get_string("forward", "", "fullnat, nat, dr or tun; empty: the service's forward");
  if (!d.forward.empty() && std::find(kForwards.begin(), kForwards.end(), d.forward) == kForwards.end()) {
    t.fail("forward", "must be one of: fullnat, nat, dr, tun");
  }
  return d;
}

RawService read_service_keys(core::ConfigTable& t) {
  RawService s;
  s.proto = t.get_enum("proto", "tcp", {"tcp", "udp", "sctp"}, "the service's protocol");
  s.vip = t.get_string("vip", "", "required: the virtual IP address, IPv4 or IPv6");
  s.port = t.get_int("port", 0, 0, 65535, "required: the virtual port; 0 catches every port of the VIP");
  s.scheduler = t.get_string("scheduler", "wlc", "the scheduler by ipvsadm's name (rr, wrr, wlc, mh, ...) or none");
  s.persistence = t.get_int("persistence", 0, 0, INT32_MAX, "persistence timeout in seconds; 0: none");
  s.netmask = t.get_int("netmask", 0, 0, 128, "persistence granularity as a prefix length; default 32 or 128");
  s.flags = t.get_string_array("flags", {}, "service flags: one-packet, sh-fallback, sh-port, mh-fallback, mh-port");
  s.forward = t.get_enum("forward", "fullnat", kForwards, "the real servers' forwarding method unless they name one");
  s.laddrs = t.get_string_array("local_addresses", {},
                                "FullNAT: the local-address group, balancer addresses (fnat-local) of the VIP's family");
  s.toa = t.get_bool("toa", true, "FullNAT: the client's address and port in a TCP option (TOA) to the real server");
  return s;
}

bool parse_addr(const std::string& text, Family* family, IpAddr* out) {
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

uint32_t flag_bit(const std::string& word) {
  if (word == "one-packet") return kSvcOnePacket;
  if (word == "sh-fallback" || word == "mh-fallback") return kSchedFallback;
  if (word == "sh-port" || word == "mh-port") return kSchedPort;
  return 0;
}

ServiceSpec to_spec(core::ConfigTable& t, const RawService& raw, const std::vector<ConfiguredService>& earlier) {
  ServiceSpec spec;
  if (raw.proto == "udp") spec.key.protocol = kProtoUdp;
  if (raw.proto == "sctp") spec.key.protocol = kProtoSctp;
  if (!t.has("vip")) t.fail("vip", "is required (an IPv4 or IPv6 address)");
  if (!parse_addr(raw.vip, &spec.key.family, &spec.key.addr)) t.fail("vip", "must be an IPv4 or IPv6 address");
  if (!t.has("port")) t.fail("port", "is required (0 to 65535)");
  spec.key.port = port_be(static_cast<uint16_t>(raw.port));
  if (raw.scheduler != "none" && !has_scheduler(raw.scheduler)) {
    std::string known = "none";
    for (std::string_view n : scheduler_names()) known += ", " + std::string(n);
    t.fail("scheduler", "must be one of: " + known);
  }
  spec.scheduler = raw.scheduler;
  if (raw.persistence > 0) {
    spec.flags |= kSvcPersistent;
    spec.timeout_s = static_cast<uint32_t>(raw.persistence);
  }
  if (t.has("netmask")) {
    if (spec.key.family == Family::v4) {
      if (raw.netmask > 32) t.fail("netmask", "must be 0 to 32 for an IPv4 VIP");
      spec.netmask = raw.netmask == 0 ? 0u : ~uint32_t{0} << (32 - raw.netmask);
    } else {
      if (raw.netmask < 1) t.fail("netmask", "must be 1 to 128 for an IPv6 VIP");
      spec.netmask = static_cast<uint32_t>(raw.netmask);
    }
  }
  for (size_t i = 0; i < raw.flags.size(); ++i) {
    const uint32_t bit = flag_bit(raw.flags[i]);
    if (bit == 0) t.fail("flags", i, "must be one of: one-packet, sh-fallback, sh-port, mh-fallback, mh-port");
    spec.flags |= bit;
  }
  spec.forward = forward_from(raw.forward);
  spec.toa = raw.toa;
  for (size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].spec.key == spec.key) {
      t.fail("port", "must be unique per protocol and VIP: service[" + std::to_string(i) + "] is " +
                         to_string(spec.key) + " too");
    }
  }
  return spec;
}

DestSpec to_dest(core::ConfigTable& t, const RawDest& raw, const ServiceSpec& svc) {
  DestSpec d;
  if (!t.has("addr")) t.fail("addr", "is required (an address of the VIP's family)");
  if (!parse_addr(raw.addr, &d.id.family, &d.id.addr)) t.fail("addr", "must be an IPv4 or IPv6 address");
  if (d.id.family != svc.key.family) t.fail("addr", "must be of the VIP's family");
  d.id.port = raw.port < 0 ? svc.key.port : port_be(static_cast<uint16_t>(raw.port));
  d.weight = static_cast<int32_t>(raw.weight);
  d.u_threshold = static_cast<uint32_t>(raw.uthreshold);
  d.l_threshold = static_cast<uint32_t>(raw.lthreshold);
  if (d.l_threshold > d.u_threshold) {
    t.fail("lthreshold", "must not exceed uthreshold (" + std::to_string(raw.uthreshold) + ")");
  }
  d.forward = raw.forward.empty() ? svc.forward : forward_from(raw.forward);
  return d;
}

}  // namespace

IpvsSettings read_settings(core::ConfigTable& root) {
  core::ConfigTable t = root.table("ipvs", "the IPVS connection layer");
  IpvsSettings s;
  s.conn_max = static_cast<uint32_t>(t.get_int("conn_max", s.conn_max, 1, ConnTable::kMaxCapacity,
                                               "connections per worker; each costs about 150 bytes"));
  s.timeouts.tcp_s = static_cast<uint32_t>(
      t.get_int("timeout_tcp", s.timeouts.tcp_s, 1, kMaxTimeoutS, "seconds an ESTABLISHED TCP connection lives idle"));
  s.timeouts.tcp_fin_s = static_cast<uint32_t>(t.get_int("timeout_tcp_fin", s.timeouts.tcp_fin_s, 1, kMaxTimeoutS,
                                                         "seconds a TCP connection lives in FIN_WAIT"));
  s.timeouts.udp_s = static_cast<uint32_t>(
      t.get_int("timeout_udp", s.timeouts.udp_s, 1, kMaxTimeoutS, "seconds a UDP connection lives idle"));
  s.laddr_port_min = static_cast<uint16_t>(
      t.get_int("laddr_port_min", s.laddr_port_min, 1, 65535, "FullNAT: the lowest local port"));
  s.laddr_port_max = static_cast<uint16_t>(
      t.get_int("laddr_port_max", s.laddr_port_max, 1, 65535, "FullNAT: the highest local port"));
  s.redirect_ring = static_cast<uint32_t>(t.get_int("redirect_ring", s.redirect_ring, 64, 1 << 20,
                                                    "packets a worker holds that wait for their owner worker"));
  // The other TCP states, DPVS-style: timeout_tcp_syn_recv, timeout_tcp_time_wait, ...
  for (unsigned i = 0; i < kTcpStates; ++i) {
    const auto st = static_cast<TcpState>(i);
    if (st == TcpState::none || st == TcpState::established || st == TcpState::fin_wait) continue;
    std::string key = std::string("timeout_tcp_") + tcp_state_name(st);
    for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    s.tcp_state_s[i] = static_cast<uint32_t>(
        t.get_int(key, TcpTimeouts{}.seconds[i], 1, kMaxTimeoutS, "seconds a TCP connection lives in that state"));
  }
  if (s.laddr_port_max < s.laddr_port_min) {
    t.fail("laddr_port_max", "must not be below laddr_port_min (" + std::to_string(s.laddr_port_min) + ")");
  }
  if ((s.redirect_ring & (s.redirect_ring - 1)) != 0) t.fail("redirect_ring", "must be a power of two");
  return s;
}

IpvsConfig read_ipvs_config(core::ConfigTable& root) {
  IpvsConfig cfg;
  cfg.settings = read_settings(root);
  cfg.vip_bindings = read_vip_bindings(root);
  cfg.snat_rules = read_snat_rules(root);
  auto services = root.tables("service", "a virtual service: [[service]] per (proto, vip, port)");
  if (services.empty()) {
    // An absent table (the literal key "service[]" never matches a TOML key) declares the schema only.
    core::ConfigTable schema_only = root.table("service[]", "");
    (void)read_service_keys(schema_only);
    (void)schema_only.tables("real_server", "a real server of the service");
    core::ConfigTable dest_schema = schema_only.table("real_server[]", "");
    (void)read_dest_keys(dest_schema);
  }
  // The kernel's rules (scheduler settings, duplicates, addresses, what a scheduler can hold) are checked by
  // applying everything to a scratch copy of the master's table.
  ServiceTable scratch(ServiceManagerOptions{}.max_services);
  for (auto& t : services) {
    RawService raw = read_service_keys(t);
    ConfiguredService cs;
    cs.spec = to_spec(t, raw, cfg.services);
    if (const VipBinding* b = binding_for(cfg.vip_bindings, cs.spec.key)) take_binding(t, *b, &cs.spec, &raw.laddrs);
    uint32_t slot = 0;
    if (Status st = scratch.add_service(cs.spec, &slot); !st.ok()) {
      t.fail(st.err == EEXIST ? "port" : "scheduler", st.msg);
    }
    auto dests = t.tables("real_server", "a real server of the service");
    if (dests.empty()) {
      core::ConfigTable dest_schema = t.table("real_server[]", "");
      (void)read_dest_keys(dest_schema);
    }
    for (auto& dt : dests) {
      const RawDest rd = read_dest_keys(dt);
      DestSpec d = to_dest(dt, rd, cs.spec);
      if (Status st = scratch.add_dest(cs.spec.key, d, &slot); !st.ok()) {
        dt.fail("addr", st.msg);
      }
      cs.dests.push_back(d);
    }
    for (size_t i = 0; i < raw.laddrs.size(); ++i) {
      Family f = Family::v4;
      IpAddr a;
      if (!parse_addr(raw.laddrs[i], &f, &a)) t.fail("local_addresses", i, "must be an IPv4 or IPv6 address");
      if (f != cs.spec.key.family) t.fail("local_addresses", i, "must be of the VIP's family");
      uint16_t id = 0;
      bool fresh = false;
      if (Status st = scratch.add_laddr(cs.spec.key, a, &slot, &id, &fresh); !st.ok()) {
        t.fail("local_addresses", i, st.msg);
      }
      cs.laddrs.push_back(a);
    }
    cfg.services.push_back(std::move(cs));
  }
  return cfg;
}

}  // namespace fulcrum::ipvs
