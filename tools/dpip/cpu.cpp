// dpip cpu show: each lcore's role and load, from its work and idle cycles.

#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "fulcrum/ctrl/proto/core.hpp"

namespace fulcrum::dpip {
namespace {

using ctrl::core_msg::LcoreStatus;
using ctrl::core_msg::StatusReply;

const char* role_name(uint8_t role) {
  return role == static_cast<uint8_t>(ctrl::core_msg::LcoreRole::master) ? "master" : "worker";
}

double percent(uint64_t part, uint64_t whole) { return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole); }

int show(Context& ctx) {
  ctrl::CallReply reply;
  if (!request(ctx, ctrl::Kind::get, ctrl::core_msg::kGetStatus, nullptr, 0, reply, "cpu show")) return 1;
  if (reply.payload.size() < sizeof(StatusReply)) return fail("cpu show: short reply from fulcrumd");
  StatusReply head;
  std::memcpy(&head, reply.payload.data(), sizeof head);
  if (reply.payload.size() != sizeof head + head.lcore_count * sizeof(LcoreStatus)) {
    return fail("cpu show: reply of " + std::to_string(reply.payload.size()) + " bytes does not hold " +
                std::to_string(head.lcore_count) + " lcores");
  }
  std::vector<LcoreStatus> lcores(head.lcore_count);
  std::memcpy(lcores.data(), reply.payload.data() + sizeof head, lcores.size() * sizeof(LcoreStatus));

  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& l : lcores) {
      nlohmann::json j{{"lcore", l.lcore_id},
                       {"role", role_name(l.role)},
                       {"load_percent", l.recent_load_permille / 10.0},
                       {"load_percent_total", percent(l.work_cycles, l.work_cycles + l.idle_cycles)}};
      if (ctx.stats > 0) {
        j["stats"] = {{"work_cycles", l.work_cycles}, {"idle_cycles", l.idle_cycles}, {"loops", l.loops},
                      {"sleeps", l.sleeps}};
      }
      out.push_back(j);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (const auto& l : lcores) {
    std::printf("lcore %u: %s load %.1f%% (last second), %.1f%% since start\n", l.lcore_id, role_name(l.role),
                l.recent_load_permille / 10.0, percent(l.work_cycles, l.work_cycles + l.idle_cycles));
    if (ctx.stats > 0) {
      std::printf("    work_cycles %llu idle_cycles %llu loops %llu sleeps %llu\n",
                  static_cast<unsigned long long>(l.work_cycles), static_cast<unsigned long long>(l.idle_cycles),
                  static_cast<unsigned long long>(l.loops), static_cast<unsigned long long>(l.sleeps));
    }
  }
  return 0;
}

}  // namespace

int run_cpu(Context& ctx, Args args) {
  if (args.empty() || matches(args[0], "show") || matches(args[0], "list")) {
    if (args.size() > 1) return fail("cpu show: unexpected argument '" + args[1] + "'");
    return show(ctx);
  }
  if (matches(args[0], "help")) {
    std::printf("Usage: dpip [-s] [-j] cpu [show]\n");
    return 0;
  }
  return fail("cpu: unknown command '" + args[0] + "' (try \"dpip cpu help\")");
}

}  // namespace fulcrum::dpip
