#include "fulcrum/core/core_config.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <rte_config.h>

#include "fulcrum/core/log.hpp"

namespace fulcrum::core {
namespace {

std::set<unsigned> usable_cpus() {
  std::set<unsigned> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.insert(c);
    }
  }
  return cpus;
}

std::string describe(const std::set<unsigned>& cpus) {
  if (cpus.empty()) return "none";
  const unsigned lo = *cpus.begin();
  const unsigned hi = *cpus.rbegin();
  if (hi - lo + 1 == cpus.size()) return std::to_string(lo) + "-" + std::to_string(hi);
  std::string s;
  for (unsigned c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

void read_eal(ConfigTable eal, EalConfig& out) {
  const std::string memory = eal.get_enum("memory", "no-huge", {"no-huge", "hugepages"},
                                          "where DPDK's memory comes from: plain pages, or reserved hugepages");
  out.memory = memory == "hugepages" ? EalConfig::Memory::hugepages : EalConfig::Memory::no_huge;
  out.memory_mb = static_cast<uint32_t>(
      eal.get_int("memory_mb", 512, 64, 1 << 20, "MiB of memory EAL reserves (-m)"));
  out.file_prefix = eal.get_string("file_prefix", "fulcrum",
                                   "EAL --file-prefix; two daemons side by side need different prefixes");
  if (out.file_prefix.empty() || out.file_prefix.find_first_of("/ \t") != std::string::npos) {
    eal.fail("file_prefix", "must be a non-empty word without '/' or spaces");
  }
  out.in_memory = eal.get_bool("in_memory", false, "hugepages only: --in-memory, no hugetlbfs mount needed");
  out.huge_dir = eal.get_string("huge_dir", "", "hugepages only: a hugetlbfs mount (--huge-dir, with --huge-unlink)");
  if (out.memory == EalConfig::Memory::no_huge && out.in_memory) {
    eal.fail("in_memory", "needs memory = \"hugepages\" (EAL cannot combine --no-huge with --in-memory)");
  }
  if (out.in_memory && !out.huge_dir.empty()) eal.fail("huge_dir", "cannot be set together with in_memory = true");
  out.extra_args = eal.get_string_array("extra_args", {}, "further EAL options, passed as they are");
}

void read_lcores(ConfigTable lcores, EalConfig& eal, RuntimeConfig& rt) {
  const auto cpus = usable_cpus();
  const int64_t max_lcore = RTE_MAX_LCORE - 1;
  rt.master = static_cast<unsigned>(lcores.get_int("master", 0, 0, max_lcore, "the lcore that runs control work"));
  const auto workers = lcores.get_int_array("workers", {1}, 0, max_lcore, "the lcores that run packet work");
  if (workers.empty()) lcores.fail("workers", "must name at least one worker lcore");

  // An lcore runs on the CPU of the same number unless cpu_map says otherwise; several lcores may share a CPU,
  // which is how a two-core machine runs a master and two workers.
  std::map<unsigned, unsigned> cpu_of;
  ConfigTable map = lcores.table("cpu_map", "lcore -> CPU, for lcores that do not run on the CPU of their number");
  for (const auto& key : map.keys()) {
    char* end = nullptr;
    const unsigned long lcore = std::strtoul(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || lcore > static_cast<unsigned long>(max_lcore)) {
      map.fail(key, "the key must be an lcore number from 0 to " + std::to_string(max_lcore));
    }
    const int64_t cpu = map.get_int(key, 0, 0, CPU_SETSIZE - 1, "");
    if (!cpus.contains(static_cast<unsigned>(cpu))) {
      map.fail(key, "must be a usable CPU (" + describe(cpus) + ")");
    }
    cpu_of[static_cast<unsigned>(lcore)] = static_cast<unsigned>(cpu);
  }

  const auto cpu_for = [&](unsigned lcore) {
    const auto it = cpu_of.find(lcore);
    return it == cpu_of.end() ? lcore : it->second;
  };
  const std::string unusable = "must be a usable CPU (" + describe(cpus) + "), or be mapped to one in lcores.cpu_map";
  if (!cpus.contains(cpu_for(rt.master))) lcores.fail("master", unusable);
  eal.lcore_cpus.emplace_back(rt.master, cpu_for(rt.master));

  std::set<unsigned> seen{rt.master};
  for (size_t i = 0; i < workers.size(); ++i) {
    const auto lcore = static_cast<unsigned>(workers[i]);
    if (!seen.insert(lcore).second) {
      lcores.fail("workers", i, "is listed twice, or is the master lcore; each lcore has one role");
    }
    if (!cpus.contains(cpu_for(lcore))) lcores.fail("workers", i, unusable);
    eal.lcore_cpus.emplace_back(lcore, cpu_for(lcore));
    rt.workers.push_back(lcore);
  }
}

void read_polling(ConfigTable polling, RuntimeConfig& rt) {
  const std::string mode = polling.get_enum(
      "mode", "idle-sleep", {"busy", "idle-sleep"},
      "busy: spin on every lcore (lowest latency, a whole core each); idle-sleep: sleep after a run of empty polls");
  rt.polling.mode = mode == "busy" ? PollMode::busy : PollMode::idle_sleep;
  rt.polling.idle_sleep_us = static_cast<uint32_t>(
      polling.get_int("idle_sleep_us", 100, 1, 100000, "idle-sleep: microseconds to sleep after the empty polls"));
  rt.polling.idle_sleep_max_us = static_cast<uint32_t>(polling.get_int(
      "idle_sleep_max_us", 1000, 1, 1000000,
      "idle-sleep: sleeps double while the lcore stays idle, up to this many microseconds"));
  if (rt.polling.idle_sleep_max_us < rt.polling.idle_sleep_us) {
    polling.fail("idle_sleep_max_us", "must be at least polling.idle_sleep_us (" +
                                          std::to_string(rt.polling.idle_sleep_us) + ")");
  }
  rt.polling.idle_polls_before_sleep = static_cast<uint32_t>(polling.get_int(
      "idle_polls_before_sleep", 256, 1, 1 << 24, "idle-sleep: empty polls in a row before the lcore sleeps"));
}

void read_log(ConfigTable log, CoreConfig& cfg) {
  const std::string allowed = std::string("must be one of: ") + LogModule::level_names();
  const auto level_of = [&](ConfigTable& table, const std::string& key, const std::string& word) {
    const uint32_t level = LogModule::level_from_name(word);
    if (level == 0) table.fail(key, allowed);
    return level;
  };
  cfg.default_log_level = level_of(log, "level", log.get_string("level", "info", "default level of every fulcrum.* log type"));
  ConfigTable modules = log.table("modules", "per-module levels: <module> = \"<level>\" (log type fulcrum.<module>)");
  const auto known = LogModule::registered_names();
  for (const auto& name : modules.keys()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      modules.fail(name, "unknown module (known: " + list + ")");
    }
    cfg.module_levels.emplace_back(name, level_of(modules, name, modules.get_string(name, "info", "")));
  }
}

}  // namespace

CoreConfig read_core_config(ConfigTable& root) {
  CoreConfig cfg;
  read_eal(root.table("eal", "DPDK's environment abstraction layer"), cfg.eal);
  read_lcores(root.table("lcores", "which lcores run control and packet work"), cfg.eal, cfg.runtime);
  read_polling(root.table("polling", "how lcores poll"), cfg.runtime);
  read_log(root.table("log", "log levels"), cfg);
  return cfg;
}

std::vector<std::string> eal_arguments(const EalConfig& eal, const std::string& program) {
  std::vector<std::string> args{program};
  if (eal.pci_allow.empty()) {
    args.emplace_back("--no-pci");
  } else {
    // An allow list: EAL takes only the configured NICs, never one the host's own stack uses.
    for (const std::string& dev : eal.pci_allow) args.insert(args.end(), {"-a", dev});
  }
  args.insert(args.end(), {"--file-prefix", eal.file_prefix, "-m", std::to_string(eal.memory_mb)});
  if (eal.memory == EalConfig::Memory::no_huge) {
    args.insert(args.end(), {"--no-huge", "--no-shconf"});
  } else if (eal.in_memory) {
    args.emplace_back("--in-memory");
  } else if (!eal.huge_dir.empty()) {
    args.insert(args.end(), {"--huge-dir", eal.huge_dir, "--huge-unlink"});
  }
  std::string lcores;
  for (const auto& [lcore, cpu] : eal.lcore_cpus) {
    lcores += (lcores.empty() ? "" : ",") + std::to_string(lcore) + "@" + std::to_string(cpu);
  }
  args.push_back("--lcores=" + lcores);
  if (!eal.lcore_cpus.empty()) args.push_back("--main-lcore=" + std::to_string(eal.lcore_cpus.front().first));
  args.insert(args.end(), eal.extra_args.begin(), eal.extra_args.end());
  return args;
}

void apply_log_levels(const CoreConfig& cfg) {
  LogModule::set_level("*", cfg.default_log_level);
  for (const auto& [name, level] : cfg.module_levels) LogModule::set_level(name, level);
}

}  // namespace fulcrum::core
