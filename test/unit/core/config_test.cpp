#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "fulcrum/core/config.hpp"
#include "fulcrum/core/core_config.hpp"
#include "fulcrum/core/log.hpp"

using namespace fulcrum::core;

namespace {

LogModule g_test_log("configtest");

CoreConfig read(const std::string& text) {
  auto doc = ConfigDocument::from_string(text, "test.conf");
  auto root = doc.root();
  auto cfg = read_core_config(root);
  doc.reject_unknown_keys();
  return cfg;
}

// The one line the operator sees, for a config that must be refused.
std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<accepted>";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("an empty file gives the documented defaults") {
  const auto cfg = read("");
  CHECK(cfg.eal.memory == EalConfig::Memory::no_huge);
  CHECK(cfg.eal.memory_mb == 512);
  CHECK(cfg.eal.file_prefix == "fulcrum");
  CHECK(cfg.runtime.master == 0);
  REQUIRE(cfg.runtime.workers.size() == 1);
  CHECK(cfg.runtime.workers[0] == 1);
  CHECK(cfg.runtime.polling.mode == PollMode::idle_sleep);
  CHECK(cfg.runtime.polling.idle_sleep_us == 100);
}

TEST_CASE("a full valid file is read as written") {
  const auto cfg = read(R"(
[eal]
memory = "hugepages"
memory_mb = 2048
file_prefix = "fl2"
in_memory = true
extra_args = ["--log-level=pmd:debug"]
[lcores]
master = 1
workers = [0, 5]
cpu_map = { "5" = 0 }
[polling]
mode = "busy"
idle_sleep_us = 10
idle_polls_before_sleep = 8
[log]
level = "debug"
[log.modules]
configtest = "err"
)");
  CHECK(cfg.eal.memory == EalConfig::Memory::hugepages);
  CHECK(cfg.eal.memory_mb == 2048);
  CHECK(cfg.eal.in_memory);
  CHECK(cfg.runtime.master == 1);
  CHECK(cfg.runtime.workers == std::vector<unsigned>{0, 5});
  CHECK(cfg.runtime.polling.mode == PollMode::busy);
  CHECK(cfg.default_log_level == RTE_LOG_DEBUG);
  REQUIRE(cfg.module_levels.size() == 1);
  CHECK(cfg.module_levels[0].first == "configtest");
  CHECK(cfg.module_levels[0].second == RTE_LOG_ERR);

  const auto args = eal_arguments(cfg.eal, "fulcrumd");
  const auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
  CHECK(args.front() == "fulcrumd");
  CHECK(has("--no-pci"));
  CHECK(has("--in-memory"));
  CHECK_FALSE(has("--no-huge"));
  CHECK(has("--lcores=1@1,0@0,5@0"));
  CHECK(has("--main-lcore=1"));
  CHECK(has("fl2"));
  CHECK(has("--log-level=pmd:debug"));
}

TEST_CASE("PCI devices replace --no-pci with an allow list") {
  auto eal = read("").eal;
  eal.pci_allow = {"0000:03:00.0", "0000:03:00.1"};
  const auto args = eal_arguments(eal, "x");
  CHECK(std::find(args.begin(), args.end(), "--no-pci") == args.end());
  const auto a = std::find(args.begin(), args.end(), "-a");
  REQUIRE(a + 3 < args.end());
  CHECK(*(a + 1) == "0000:03:00.0");
  CHECK(*(a + 2) == "-a");
  CHECK(*(a + 3) == "0000:03:00.1");
}

TEST_CASE("no-huge memory gives --no-huge and --no-shconf") {
  const auto args = eal_arguments(read("").eal, "x");
  CHECK(std::find(args.begin(), args.end(), "--no-huge") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--no-shconf") != args.end());
}

TEST_CASE("an unknown key is named with its table's known keys") {
  const auto e = error_of("[polling]\nmode = \"busy\"\nsleep_us = 5\n");
  CHECK(contains(e, "'polling.sleep_us'"));
  CHECK(contains(e, "unknown key"));
  CHECK(contains(e, "idle_sleep_us"));
  CHECK(contains(e, "(line 3)"));
}

TEST_CASE("an unknown top-level table is refused") {
  CHECK(contains(error_of("[nonsense]\na = 1\n"), "key 'nonsense'"));
}

TEST_CASE("an out-of-range lcore names the key, the value and the usable CPUs") {
  const auto e = error_of("[lcores]\nworkers = [1, 127]\n");
  CHECK(contains(e, "'lcores.workers[1]' = 127"));
  CHECK(contains(e, "usable CPU"));
  CHECK(contains(error_of("[lcores]\nworkers = [500]\n"), "'lcores.workers[0]' = 500"));
  CHECK(contains(error_of("[lcores]\nmaster = -1\n"), "from 0 to 127"));
}

TEST_CASE("an lcore may not have two roles") {
  CHECK(contains(error_of("[lcores]\nmaster = 0\nworkers = [0]\n"), "'lcores.workers[0]' = 0"));
  CHECK(contains(error_of("[lcores]\nworkers = [1, 1]\n"), "listed twice"));
  CHECK(contains(error_of("[lcores]\nworkers = []\n"), "at least one worker"));
}

TEST_CASE("cpu_map keys and values are checked") {
  CHECK(contains(error_of("[lcores]\nworkers = [3]\ncpu_map = { \"x\" = 0 }\n"), "'lcores.cpu_map.x'"));
  CHECK(contains(error_of("[lcores]\nworkers = [3]\ncpu_map = { \"3\" = 1000 }\n"), "usable CPU"));
}

TEST_CASE("wrong types are refused with what is allowed") {
  CHECK(contains(error_of("[eal]\nmemory_mb = \"lots\"\n"), "must be an integer from 64"));
  CHECK(contains(error_of("[eal]\nmemory = \"huge\"\n"), "must be one of: no-huge, hugepages"));
  CHECK(contains(error_of("[eal]\nin_memory = 1\n"), "must be true or false"));
  CHECK(contains(error_of("eal = 5\n"), "must be a table"));
  CHECK(contains(error_of("[polling]\nidle_sleep_us = 0\n"), "'polling.idle_sleep_us' = 0"));
  CHECK(contains(error_of("[lcores]\nworkers = [1, \"two\"]\n"), "'lcores.workers[1]'"));
}

TEST_CASE("contradictory EAL settings are refused") {
  CHECK(contains(error_of("[eal]\nin_memory = true\n"), "needs memory = \"hugepages\""));
  CHECK(contains(error_of("[eal]\nfile_prefix = \"a/b\"\n"), "'eal.file_prefix'"));
}

TEST_CASE("log levels and modules are checked") {
  CHECK(contains(error_of("[log]\nlevel = \"loud\"\n"), "must be one of: emerg"));
  const auto e = error_of("[log.modules]\nnosuchmodule = \"debug\"\n");
  CHECK(contains(e, "'log.modules.nosuchmodule'"));
  CHECK(contains(e, "configtest"));
}

TEST_CASE("a syntax error gives one line with the line number") {
  const auto e = error_of("[eal]\nmemory_mb = = 3\n");
  CHECK(contains(e, "syntax error"));
  CHECK(contains(e, "line 2: "));
  CHECK(e.find('\n') == std::string::npos);
}

TEST_CASE("a missing file is reported with the reason (the daemon adds the file name)") {
  try {
    ConfigDocument::from_file("/nonexistent/fulcrum.conf");
    FAIL("accepted a missing file");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), "No such file"));
  }
}

TEST_CASE("the schema lists every key read, with defaults and help") {
  auto doc = ConfigDocument::from_string("");
  auto root = doc.root();
  read_core_config(root);
  const auto schema = doc.schema();
  const auto find = [&](const std::string& path) {
    return std::find_if(schema.begin(), schema.end(), [&](const ConfigKeyInfo& k) { return k.path == path; });
  };
  REQUIRE(find("eal.memory") != schema.end());
  CHECK(find("eal.memory")->fallback == "\"no-huge\"");
  CHECK(find("eal.memory")->type.find("one of") == 0);
  REQUIRE(find("lcores.workers") != schema.end());
  CHECK(find("lcores.workers")->fallback == "[1]");
  CHECK(find("polling.idle_sleep_us") != schema.end());
  CHECK(find("log.modules") != schema.end());
  for (const auto& key : schema) CHECK_FALSE(key.help.empty());
}

TEST_CASE("arrays of tables are tracked element by element") {
  auto doc = ConfigDocument::from_string("[[port]]\nname = \"a\"\n[[port]]\nname = \"b\"\nspeed = 3\n");
  auto root = doc.root();
  std::vector<std::string> names;
  for (auto& port : root.tables("port", "ports")) names.push_back(port.require_string("name", "its name"));
  CHECK(names == std::vector<std::string>{"a", "b"});
  try {
    doc.reject_unknown_keys();
    FAIL("accepted port[1].speed");
  } catch (const ConfigError& e) {
    CHECK(contains(e.what(), "'port[1].speed'"));
    CHECK(contains(e.what(), "name"));
  }
  const auto schema = doc.schema();
  CHECK(std::any_of(schema.begin(), schema.end(), [](const ConfigKeyInfo& k) { return k.path == "port[].name"; }));
}
