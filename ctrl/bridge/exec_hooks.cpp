// execve, execv, execvp, execvpe: the calls through which ipvsadm and keepalived run modprobe (both import
// execv; keepalived also execve). See exec_guard.hpp.

#include <unistd.h>

#include <cerrno>

#include "exec_guard.hpp"
#include "export.hpp"
#include "log.hpp"
#include "real.hpp"

namespace fulcrum::bridge {
namespace {

bool refused(const char* path, char* const argv[]) {
  if (!is_modprobe_of_ipvs(path, argv)) return false;
  debug("refused exec of %s for ip_vs: IPVS is provided by fulcrumd", path);
  errno = ENOENT;
  return true;
}

}  // namespace
}  // namespace fulcrum::bridge

using namespace fulcrum;

FULCRUM_BRIDGE_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  if (bridge::refused(path, argv)) return -1;
  return bridge::real::execve()(path, argv, envp);
}

FULCRUM_BRIDGE_EXPORT int execv(const char* path, char* const argv[]) {
  if (bridge::refused(path, argv)) return -1;
  return bridge::real::execve()(path, argv, environ);
}

FULCRUM_BRIDGE_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  if (bridge::refused(file, argv)) return -1;
  return bridge::real::execvpe()(file, argv, envp);
}

FULCRUM_BRIDGE_EXPORT int execvp(const char* file, char* const argv[]) {
  if (bridge::refused(file, argv)) return -1;
  return bridge::real::execvpe()(file, argv, environ);
}
