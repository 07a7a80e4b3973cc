// dpip ipv4 / dpip ipv6: the layer's settings and, with -s, its counters (with -s -s per lcore) and how table
// changes reached the workers; `set forwarding on|off`.

#include <nlohmann/json.hpp>

#include "inet_common.hpp"

namespace fulcrum::dpip {
namespace {

using namespace inet;

struct Stats {
  msg::StatsHead head{};
  std::vector<uint64_t> totals;
  std::vector<std::pair<msg::LcoreStatsHead, std::vector<uint64_t>>> lcores;
};

bool fetch_stats(Context& ctx, uint8_t family, Stats& out) {
  msg::StatsQuery q{};
  q.family = family;
  q.per_lcore = ctx.stats > 1;
  ctrl::CallReply reply;
  if (!request(ctx, ctrl::Kind::get, msg::kGetStats, &q, sizeof q, reply, "stats")) return false;
  const auto& p = reply.payload;
  if (p.size() < sizeof out.head) return fail("stats: short reply from fulcrumd") == 0;
  std::memcpy(&out.head, p.data(), sizeof out.head);
  if (out.head.version != msg::kListVersion) return fail("stats: unknown reply version from fulcrumd") == 0;
  const size_t n = out.head.counter_count;
  const size_t expect = sizeof out.head + n * 8 + out.head.lcore_count * (sizeof(msg::LcoreStatsHead) + n * 8);
  if (p.size() != expect) return fail("stats: malformed reply from fulcrumd") == 0;
  size_t off = sizeof out.head;
  out.totals.resize(n);
  std::memcpy(out.totals.data(), p.data() + off, n * 8);
  off += n * 8;
  for (uint32_t i = 0; i < out.head.lcore_count; ++i) {
    msg::LcoreStatsHead lh;
    std::memcpy(&lh, p.data() + off, sizeof lh);
    off += sizeof lh;
    std::vector<uint64_t> v(n);
    std::memcpy(v.data(), p.data() + off, n * 8);
    off += n * 8;
    out.lcores.emplace_back(lh, std::move(v));
  }
  return true;
}

const char* counter_name(uint8_t family, size_t i) {
  return family == 6 ? msg::kCounterNames6[i] : msg::kCounterNames4[i];
}

bool applies(uint8_t family, size_t i) { return msg::counter_applies(static_cast<msg::Counter>(i), family); }

nlohmann::json counters_json(uint8_t family, const std::vector<uint64_t>& v) {
  nlohmann::json j = nlohmann::json::object();
  // A newer daemon may count more than this dpip knows of: those stay out.
  for (size_t i = 0; i < v.size() && i < msg::kCounterCount; ++i) {
    if (applies(family, i)) j[counter_name(family, i)] = v[i];
  }
  return j;
}

void print_counters(uint8_t family, const std::vector<uint64_t>& v, const char* indent) {
  unsigned col = 0;
  for (size_t i = 0; i < v.size() && i < msg::kCounterCount; ++i) {
    if (!applies(family, i)) continue;
    std::printf("%s%-26s %12llu", col == 0 ? indent : "  ", counter_name(family, i),
                static_cast<unsigned long long>(v[i]));
    if (++col == 2) {
      std::printf("\n");
      col = 0;
    }
  }
  if (col != 0) std::printf("\n");
}

double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

int show(Context& ctx, uint8_t family) {
  const char* name = family == 6 ? "ipv6" : "ipv4";
  msg::SettingsQuery sq{};
  sq.family = family;
  ctrl::CallReply reply;
  if (!request(ctx, ctrl::Kind::get, msg::kGetSettings, &sq, sizeof sq, reply, name)) return 1;
  msg::Settings s;
  if (reply.payload.size() != sizeof s) return fail(std::string(name) + ": malformed reply from fulcrumd");
  std::memcpy(&s, reply.payload.data(), sizeof s);
  Stats st;
  if (ctx.stats > 0 && !fetch_stats(ctx, family, st)) return 1;
  const auto& sync = st.head.sync;
  if (ctx.json) {
    nlohmann::json j{{"family", name},
                     {"forwarding", s.forwarding != 0},
                     {"reassembly", s.reassembly != 0},
                     {family == 6 ? "hop_limit" : "ttl", s.ttl}};
    if (ctx.stats > 0) {
      j["stats"] = counters_json(family, st.totals);
      j["table_sync"] = {{"changes", sync.changes},     {"waits", sync.waits},
                         {"last_us", us(sync.last_ns)}, {"max_us", us(sync.max_ns)},
                         {"mean_us", sync.waits ? us(sync.total_ns / sync.waits) : 0.0},
                         {"backlogged", sync.backlogged}, {"timeouts", sync.timeouts}};
      auto lcores = nlohmann::json::array();
      for (const auto& [lh, v] : st.lcores) {
        lcores.push_back({{"lcore", lh.lcore}, {"role", lh.is_master ? "master" : "worker"}, {"stats", counters_json(family, v)}});
      }
      if (ctx.stats > 1) j["lcores"] = lcores;
    }
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%s: forwarding %s reassembly %s %s %u\n", name, s.forwarding ? "on" : "off", s.reassembly ? "on" : "off",
              family == 6 ? "hop_limit" : "ttl", s.ttl);
  if (ctx.stats == 0) return 0;
  print_counters(family, st.totals, "    ");
  std::printf("    table sync: %llu changes, %llu waited on: last %.1f us, mean %.1f us, max %.1f us; %llu backlogged, "
              "%llu timeouts\n",
              static_cast<unsigned long long>(sync.changes), static_cast<unsigned long long>(sync.waits), us(sync.last_ns),
              sync.waits ? us(sync.total_ns / sync.waits) : 0.0, us(sync.max_ns),
              static_cast<unsigned long long>(sync.backlogged), static_cast<unsigned long long>(sync.timeouts));
  for (const auto& [lh, v] : st.lcores) {
    std::printf("  lcore %u (%s):\n", lh.lcore, lh.is_master ? "master" : "worker");
    print_counters(family, v, "    ");
  }
  return 0;
}

int set(Context& ctx, uint8_t family, Args args) {
  const char* name = family == 6 ? "ipv6" : "ipv4";
  msg::Settings s{};
  s.family = family;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "forwarding") {
      return fail(std::string(name) + " set: unknown setting \"" + args[i] + "\" (expected forwarding on|off)");
    }
    const std::string v = i + 1 < args.size() ? args[++i] : "";
    if (v != "on" && v != "off") {
      return fail(std::string(name) + " set: \"forwarding\" needs \"on\" or \"off\"" + (v.empty() ? "" : ", not \"" + v + "\""));
    }
    s.mask |= msg::set_forwarding;
    s.forwarding = v == "on";
  }
  if (s.mask == 0) return fail(std::string(name) + " set: nothing to change (forwarding on|off)");
  ctrl::CallReply reply;
  return request(ctx, ctrl::Kind::set, msg::kSetSettings, &s, sizeof s, reply, name) ? 0 : 1;
}

int run(Context& ctx, Args args, uint8_t family) {
  const char* name = family == 6 ? "ipv6" : "ipv4";
  if (args.empty() || matches(args[0], "show")) return show(ctx, family);
  if (matches(args[0], "set")) return set(ctx, family, args.subspan(1));
  if (matches(args[0], "help")) {
    std::printf(
        "Usage: dpip [-s [-s]] [-j] %s [show]      (-s: counters and table sync; -s -s: per lcore too)\n"
        "       dpip %s set forwarding { on | off }\n",
        name, name);
    return 0;
  }
  return fail(std::string(name) + ": unknown command \"" + args[0] + "\" (try \"dpip " + name + " help\")");
}

}  // namespace

int run_ipv4(Context& ctx, Args args) { return run(ctx, args, 4); }
int run_ipv6(Context& ctx, Args args) { return run(ctx, args, 6); }

}  // namespace fulcrum::dpip
