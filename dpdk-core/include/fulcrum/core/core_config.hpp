#pragma once
// The core's part of the configuration: EAL, lcores, polling and log levels.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "fulcrum/core/runtime.hpp"

namespace fulcrum::core {

struct EalConfig {
  enum class Memory : uint8_t { no_huge, hugepages };
  Memory memory = Memory::no_huge;
  uint32_t memory_mb = 512;
  std::string file_prefix = "fulcrum";
  bool in_memory = false;  // hugepages only: no hugetlbfs mount, no files left behind by a crash
  std::string huge_dir;    // hugepages only, when not in_memory
  std::vector<std::string> extra_args;
  std::vector<std::string> pci_allow;  // the modules' PCI devices (Module::pci_devices); empty: --no-pci
  std::vector<std::pair<unsigned, unsigned>> lcore_cpus;  // (lcore, cpu) for every lcore in use
};

struct CoreConfig {
  EalConfig eal;
  RuntimeConfig runtime;
  uint32_t default_log_level = 0;                              // RTE_LOG_*
  std::vector<std::pair<std::string, uint32_t>> module_levels;  // module, RTE_LOG_*
};

// Reads [eal], [lcores], [polling] and [log]. Throws ConfigError.
CoreConfig read_core_config(ConfigTable& root);

// The argv for rte_eal_init: program name first, then the EAL options the config implies.
std::vector<std::string> eal_arguments(const EalConfig& eal, const std::string& program);

// Applies the log levels; after static initialisation, so every module's log type is registered.
void apply_log_levels(const CoreConfig& cfg);

}  // namespace fulcrum::core
