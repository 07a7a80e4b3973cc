// inet_msg::kGetStats, kGetSettings, kSetSettings, kPingSend, kPingResult: `dpip -s ipv4|ipv6`,
// `dpip ipv4 set forwarding on|off`, `dpip ping`.

#include <rte_cycles.h>

#include "ctrl_util.hpp"

namespace fulcrum::inet {
namespace {

namespace msg = ctrl::inet_msg;
using namespace ctrl_util;

constexpr uint16_t kPingPayloadMin = 16;  // room for the send time and a pattern
constexpr uint16_t kPingPayloadMax = 8192;

int get_stats(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::StatsQuery>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(q.family, false, f, out, rc)) return rc;
  const auto& lcores = c.inet().lcores();
  msg::StatsHead head{};
  head.version = msg::kListVersion;
  head.counter_count = msg::kCounterCount;
  head.lcore_count = q.per_lcore ? static_cast<uint32_t>(lcores.size()) : 0;
  head.family = q.family;
  head.sync = c.replicator().stats();
  std::vector<uint64_t> totals(msg::kCounterCount, 0);
  for (const LcoreInet* lc : lcores) {
    for (unsigned i = 0; i < msg::kCounterCount; ++i) totals[i] += lc->counters[family_index(*f)].c[i].get();
  }
  append(out.payload, &head, 1);
  append(out.payload, totals.data(), totals.size());
  if (!q.per_lcore) return 0;
  for (const LcoreInet* lc : lcores) {
    const msg::LcoreStatsHead lh{lc->lcore, static_cast<uint8_t>(lc->worker < 0), {}};
    append(out.payload, &lh, 1);
    for (unsigned i = 0; i < msg::kCounterCount; ++i) {
      const uint64_t v = lc->counters[family_index(*f)].c[i].get();
      append(out.payload, &v, 1);
    }
  }
  return 0;
}

msg::Settings settings_of(InetControl& c, Family f) {
  msg::Settings s{};
  s.family = static_cast<uint8_t>(f);
  s.forwarding = c.tables().forwarding(f);
  s.reassembly = c.inet().config().reassembly;
  s.ttl = c.inet().config().of(f).ttl;
  return s;
}

int get_settings(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::SettingsQuery>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(q.family, false, f, out, rc)) return rc;
  const msg::Settings s = settings_of(c, *f);
  append(out.payload, &s, 1);
  return 0;
}

int set_settings(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto req = read<msg::Settings>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(req.family, false, f, out, rc)) return rc;
  if ((req.mask & ~static_cast<uint32_t>(msg::set_forwarding)) != 0) {
    return fail(out, EINVAL, "settings mask " + std::to_string(req.mask) + ": only forwarding (1) can change");
  }
  if (req.mask & msg::set_forwarding) {
    if (req.forwarding > 1) return fail(out, EINVAL, "forwarding " + std::to_string(req.forwarding) + ": 0 or 1");
    std::string err;
    rc = c.set_forwarding(*f, req.forwarding != 0, err);
    if (rc != 0) return fail(out, rc, err);
  }
  return 0;
}

int ping_send(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto req = read<msg::PingSend>(in);
  std::optional<Family> f;
  int rc = 0;
  if (!family_field(req.family, false, f, out, rc)) return rc;
  if (req.payload < kPingPayloadMin || req.payload > kPingPayloadMax) {
    return fail(out, EINVAL, "size " + std::to_string(req.payload) + " is out of range (" +
                                 std::to_string(kPingPayloadMin) + " to " + std::to_string(kPingPayloadMax) + ")");
  }
  const Addr dst = Addr::from_bytes(*f, req.dst);
  if (dst.is_unspecified() || dst.is_multicast() || dst.is_limited_broadcast()) {
    return fail(out, EINVAL, "destination " + dst.to_string() + " is not a unicast address");
  }
  PingOrder order;
  order.token = c.next_ping_token();
  order.family = *f;
  order.payload = req.payload;
  order.seq = req.seq;
  order.dst = dst.bytes;
  std::string err;
  rc = c.ping(order, err);
  if (rc != 0) return fail(out, rc, err);
  const msg::PingToken token{order.token, 0};
  append(out.payload, &token, 1);
  return 0;
}

int ping_result(InetControl& c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read<msg::PingToken>(in);
  msg::PingResult r{};
  for (const LcoreInet* lc : c.inet().lcores()) {
    const PingSlot& s = lc->pings[q.token % kPingSlots];
    if (q.token == 0 || s.token.load(std::memory_order_acquire) != q.token) continue;
    r.state = static_cast<uint8_t>(msg::PingState::replied);
    r.ttl = s.ttl;
    r.bytes = s.bytes;
    r.rtt_ns = s.rtt_ns;
    r.lcore = lc->lcore;
    std::memcpy(r.from, s.from.data(), sizeof r.from);
    break;
  }
  append(out.payload, &r, 1);
  return 0;
}

}  // namespace

void register_stats_handlers(ctrl::Registry& registry, InetControl& c) {
  registry.add("inet", {ctrl::Kind::get, msg::kGetStats, "inet.stats", sizeof(msg::StatsQuery),
                        sizeof(msg::StatsQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return get_stats(c, in, out); }});
  registry.add("inet", {ctrl::Kind::get, msg::kGetSettings, "inet.settings", sizeof(msg::SettingsQuery),
                        sizeof(msg::SettingsQuery),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return get_settings(c, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kSetSettings, "inet.settings_set", sizeof(msg::Settings),
                        sizeof(msg::Settings),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return set_settings(c, in, out); }});
  registry.add("inet", {ctrl::Kind::set, msg::kPingSend, "inet.ping", sizeof(msg::PingSend), sizeof(msg::PingSend),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return ping_send(c, in, out); }});
  registry.add("inet", {ctrl::Kind::get, msg::kPingResult, "inet.ping_result", sizeof(msg::PingToken),
                        sizeof(msg::PingToken),
                        [&c](const ctrl::Request& in, ctrl::Response& out) { return ping_result(c, in, out); }});
}

}  // namespace fulcrum::inet
