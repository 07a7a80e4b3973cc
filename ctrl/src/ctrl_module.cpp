#include "fulcrum/ctrl/ctrl_module.hpp"

#include <unistd.h>

#include <chrono>
#include <cstring>

#include <rte_cycles.h>

#include "ctrl_log.hpp"
#include "fulcrum/ctrl/proto/core.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/ctrl/server.hpp"

namespace fulcrum::ctrl {
namespace {

constexpr uint32_t kServePeriodUs = 100;
constexpr uint32_t kEchoMax = 4096;

class CtrlModule final : public core::Module {
 public:
  explicit CtrlModule(std::optional<std::string> socket_override) : override_(std::move(socket_override)) {}

  const char* name() const override { return "ctrl"; }

  void configure(core::ConfigTable& root) override {
    core::ConfigTable ctrl = root.table("ctrl", "the control socket");
    path_ = ctrl.get_string("socket", kDefaultSocketPath,
                            "path of the control socket (mode 0600); --ctrl-socket overrides it");
    if (override_) path_ = *override_;
    if (path_.empty() || path_.size() >= 108) {  // sun_path holds 108 bytes with the NUL
      ctrl.fail("socket", "must be a path of 1 to 107 characters");
    }
  }

  void init(core::ModuleContext& ctx) override {
    runtime_ = &ctx.runtime;
    started_ = std::chrono::steady_clock::now();
    poll_mode_ = ctx.core.runtime.polling.mode;
    ctx.ctrl.claim("core", ids::kCoreFirst, ids::kCoreLast);
    ctx.ctrl.add("core", {Kind::get, core_msg::kGetStatus, "core.status", 0, 0,
                          [this](const Request&, Response& out) { return status(out); }});
    ctx.ctrl.add("core", {Kind::get, core_msg::kEcho, "core.echo", 0, kEchoMax, [](const Request& in, Response& out) {
                            out.payload.assign(in.payload.begin(), in.payload.end());
                            return 0;
                          }});
    server_ = std::make_unique<Server>(ctx.ctrl, path_);
    ctx.runtime.add_master_job({"ctrl.serve", [](void* s) -> uint32_t { return static_cast<Server*>(s)->poll(); },
                                server_.get(), core::Job::When::every_interval, 1, kServePeriodUs});
    FLOG(g_log, INFO, "control socket %s", path_.c_str());
  }

  void stop() override { server_.reset(); }

 private:
  int status(Response& out) const {
    const auto lcores = runtime_->load();
    core_msg::StatusReply head{};
    head.version = 1;
    head.lcore_count = static_cast<uint32_t>(lcores.size());
    head.tsc_hz = rte_get_tsc_hz();
    head.uptime_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count());
    head.pid = static_cast<uint32_t>(getpid());
    head.poll_mode = poll_mode_ == core::PollMode::busy ? 0 : 1;
    out.payload.resize(sizeof head + lcores.size() * sizeof(core_msg::LcoreStatus));
    std::memcpy(out.payload.data(), &head, sizeof head);
    for (size_t i = 0; i < lcores.size(); ++i) {
      core_msg::LcoreStatus s{};
      s.lcore_id = lcores[i].lcore;
      s.role = static_cast<uint8_t>(lcores[i].role);
      s.work_cycles = lcores[i].work_cycles;
      s.idle_cycles = lcores[i].idle_cycles;
      s.loops = lcores[i].loops;
      s.sleeps = lcores[i].sleeps;
      s.recent_load_permille = lcores[i].recent_load_permille;
      std::memcpy(out.payload.data() + sizeof head + i * sizeof s, &s, sizeof s);
    }
    return 0;
  }

  std::optional<std::string> override_;
  std::string path_;
  core::Runtime* runtime_ = nullptr;
  core::PollMode poll_mode_ = core::PollMode::idle_sleep;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<Server> server_;
};

}  // namespace

std::unique_ptr<core::Module> make_ctrl_module(std::optional<std::string> socket_override) {
  return std::make_unique<CtrlModule>(std::move(socket_override));
}

}  // namespace fulcrum::ctrl
