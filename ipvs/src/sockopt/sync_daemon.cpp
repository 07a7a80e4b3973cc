// IP_VS_SO_SET_STARTDAEMON, _STOPDAEMON and IP_VS_SO_GET_DAEMON. Fulcrum has no connection-sync daemon: each
// worker's connections live in its own table and no balancer replicates them to another. So GET_DAEMON
// reports none running (two zeroed ip_vs_daemon_user, as the kernel with no daemon); STOPDAEMON answers as
// the kernel does with none running (ESRCH, "No daemon is running"); and STARTDAEMON is refused rather than
// pretended: an operator who runs `ipvsadm --start-daemon master` or keepalived's lvs_sync_daemon expects
// connections to survive a fail-over, and they would not. The errno is ENOSYS, which ipvsadm prints as
// "Function not implemented" (EOPNOTSUPP would print "Operation not supported with IPv6").

#include <cerrno>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

// The kernel's IP_VS_STATE_MASTER and _BACKUP.
constexpr int kStateMaster = 1;
constexpr int kStateBackup = 2;

int start_daemon(const ctrl::Request& in, ctrl::Response& out) {
  const auto d = read_at<ip_vs_daemon_user>(in);
  // The kernel's own check comes first: an empty or unterminated interface name is EINVAL.
  const size_t n = strnlen(d.mcast_ifn, sizeof d.mcast_ifn);
  if (n == 0 || n == sizeof d.mcast_ifn) {
    return malformed(in, out, EINVAL, "mcast_ifn: empty, or no NUL within its 16 bytes");
  }
  if (d.state != kStateMaster && d.state != kStateBackup) {
    return fail(out, EINVAL, "state " + std::to_string(d.state) + ": must be master (1) or backup (2)");
  }
  return fail(out, ENOSYS,
              "sync daemon (state " + std::to_string(d.state) + ", mcast_ifn " + std::string(d.mcast_ifn, n) +
                  ", syncid " + std::to_string(d.syncid) +
                  "): Fulcrum has no connection synchronisation; connections do not survive a fail-over");
}

int stop_daemon(const ctrl::Request& in, ctrl::Response& out) {
  const auto d = read_at<ip_vs_daemon_user>(in);
  if (d.state != kStateMaster && d.state != kStateBackup) {
    return fail(out, EINVAL, "state " + std::to_string(d.state) + ": must be master (1) or backup (2)");
  }
  return fail(out, ESRCH, "state " + std::to_string(d.state) + ": no sync daemon is running");
}

int get_daemon(ctrl::Response& out) {
  const ip_vs_daemon_user none[2]{};
  append(out.payload, none);
  return 0;
}

}  // namespace

void register_sync_daemon(ctrl::Registry& r) {
  constexpr uint32_t n = sizeof(ip_vs_daemon_user);
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_STARTDAEMON, "ipvs.SET_STARTDAEMON", n, n, start_daemon});
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_STOPDAEMON, "ipvs.SET_STOPDAEMON", n, n, stop_daemon});
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_DAEMON, "ipvs.GET_DAEMON", 2 * n, ctrl::kMaxPayload,
                 [](const ctrl::Request&, ctrl::Response& out) { return get_daemon(out); }});
}

}  // namespace fulcrum::ipvs::sockopt
