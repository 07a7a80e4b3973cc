// fulcrumd: reads the config, starts EAL and the lcores, and runs every module until SIGTERM or SIGINT.

#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>

#include "fulcrum/core/config.hpp"
#include "fulcrum/core/core_config.hpp"
#include "fulcrum/core/log.hpp"
#include "fulcrum/core/module.hpp"
#include "fulcrum/core/runtime.hpp"
#include "fulcrum/ctrl/ctrl_module.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "modules.hpp"

namespace {

using fulcrum::core::ConfigDocument;
using fulcrum::core::ConfigError;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;  // also every configuration error

fulcrum::core::LogModule g_log("daemon");
std::atomic<fulcrum::core::Runtime*> g_runtime{nullptr};

void on_signal(int) {
  if (auto* rt = g_runtime.load()) rt->request_stop();
}

struct Options {
  std::string config_file;
  std::optional<std::string> ctrl_socket;
  bool check_only = false;
  bool list_keys = false;
};

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: fulcrumd -c FILE [--ctrl-socket PATH] [--check]\n"
               "       fulcrumd --list-config-keys\n"
               "  -c, --config FILE        the TOML configuration (see conf/fulcrum.conf)\n"
               "  -s, --ctrl-socket PATH   control socket, overriding [ctrl] socket\n"
               "      --check              validate the configuration and exit\n"
               "      --list-config-keys   print every configuration key the daemon accepts\n"
               "  -V, --version            print the version\n");
}

std::optional<Options> parse_args(int argc, char** argv, int& exit_code) {
  static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                    {"ctrl-socket", required_argument, nullptr, 's'},
                                    {"check", no_argument, nullptr, 'k'},
                                    {"list-config-keys", no_argument, nullptr, 'L'},
                                    {"version", no_argument, nullptr, 'V'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  Options opts;
  int c;
  while ((c = getopt_long(argc, argv, "c:s:Vh", longopts, nullptr)) != -1) {
    switch (c) {
      case 'c': opts.config_file = optarg; break;
      case 's': opts.ctrl_socket = optarg; break;
      case 'k': opts.check_only = true; break;
      case 'L': opts.list_keys = true; break;
      case 'V': std::printf("fulcrumd %s\n", FULCRUM_VERSION); exit_code = 0; return std::nullopt;
      case 'h': usage(stdout); exit_code = 0; return std::nullopt;
      default: usage(stderr); exit_code = kExitUsage; return std::nullopt;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "fulcrumd: unexpected argument '%s'\n", argv[optind]);
    exit_code = kExitUsage;
    return std::nullopt;
  }
  if (opts.config_file.empty() && !opts.list_keys) {
    std::fprintf(stderr, "fulcrumd: missing -c FILE\n");
    usage(stderr);
    exit_code = kExitUsage;
    return std::nullopt;
  }
  return opts;
}

using Modules = std::vector<std::unique_ptr<fulcrum::core::Module>>;

// Every module reads its sections; then anything nobody read is an unknown key.
fulcrum::core::CoreConfig configure(ConfigDocument& doc, Modules& modules) {
  auto root = doc.root();
  auto core = fulcrum::core::read_core_config(root);
  for (auto& m : modules) m->configure(root);
  doc.reject_unknown_keys();
  for (auto& m : modules) {
    for (std::string& dev : m->pci_devices()) core.eal.pci_allow.push_back(std::move(dev));
  }
  return core;
}

int list_config_keys(Modules& modules) {
  auto doc = ConfigDocument::from_string("", "<defaults>");
  try {
    configure(doc, modules);
  } catch (const std::exception&) {
    // Defaults that do not validate on this machine (e.g. a missing CPU) still declared their keys.
  }
  for (const auto& key : doc.schema()) {
    std::printf("%s\t%s\t%s\t%s\n", key.path.c_str(), key.type.c_str(), key.fallback.c_str(), key.help.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto opts = parse_args(argc, argv, exit_code);
  if (!opts) return exit_code;

  Modules modules;
  modules.push_back(fulcrum::ctrl::make_ctrl_module(opts->ctrl_socket));
  fulcrum::daemon::add_layer_modules(modules);

  if (opts->list_keys) return list_config_keys(modules);

  fulcrum::core::CoreConfig core;
  try {
    auto doc = ConfigDocument::from_file(opts->config_file);
    core = configure(doc, modules);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "fulcrumd: config %s: %s\n", opts->config_file.c_str(), e.what());
    return kExitUsage;
  }
  if (opts->check_only) {
    std::printf("fulcrumd: config %s is valid\n", opts->config_file.c_str());
    return 0;
  }
  fulcrum::core::apply_log_levels(core);

  const auto args = fulcrum::core::eal_arguments(core.eal, argv[0]);
  std::vector<char*> eal_argv;
  for (const auto& a : args) eal_argv.push_back(const_cast<char*>(a.c_str()));
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "fulcrumd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    return kExitRuntime;
  }

  int rc = 0;
  {
    fulcrum::ctrl::Registry registry;
    std::unique_ptr<fulcrum::core::Runtime> runtime;
    size_t initialised = 0;
    try {
      runtime = std::make_unique<fulcrum::core::Runtime>(core.runtime);
      fulcrum::core::ModuleContext ctx{*runtime, registry, core};
      for (auto& m : modules) {
        m->init(ctx);
        ++initialised;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fulcrumd: start-up failed: %s\n", e.what());
      rc = kExitRuntime;
    }

    if (rc == 0) {
      g_runtime.store(runtime.get());
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGTERM, &sa, nullptr);
      sigaction(SIGINT, &sa, nullptr);
      signal(SIGPIPE, SIG_IGN);
      FLOG(g_log, NOTICE, "running: master lcore %u, %zu worker(s), pid %d", core.runtime.master,
           core.runtime.workers.size(), getpid());
      if (runtime->run() != 0) rc = kExitRuntime;
      g_runtime.store(nullptr);
      FLOG(g_log, NOTICE, "stopping");
    }
    while (initialised > 0) modules[--initialised]->stop();
  }
  modules.clear();
  rte_eal_cleanup();
  return rc;
}
