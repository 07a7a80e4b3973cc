#include "listen_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ctrl_log.hpp"
#include "text.hpp"

namespace fulcrum::ctrl {
namespace {

constexpr int kBacklog = 64;

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error(strprintf("ctrl: socket %s: %s: %s", path.c_str(), what, errno_text(err)));
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error(strprintf("ctrl: socket path '%s' is %zu bytes; a unix socket path must be 1 to %zu",
                                       path.c_str(), path.size(), sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// mkdir -p for the socket's directory. Only directories created here get their mode forced to 0755: an
// operator's existing /run/fulcrum keeps whatever mode they chose.
void make_parent_dirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      ::chmod(dir.c_str(), 0755);  // mkdir applied the umask
      FLOG(g_log, INFO, "created directory %s for the control socket", dir.c_str());
    } else if (errno != EEXIST) {
      fail(path, ("cannot create directory " + dir).c_str(), errno);
    }
  }
}

// A socket file whose listener died refuses connections; one with a listener accepts them (or reports
// EAGAIN when its backlog is full, which is just as alive).
void remove_if_stale(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail(path, "cannot stat", errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(
        strprintf("ctrl: socket %s: the path exists and is not a socket; refusing to replace it", path.c_str()));
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) fail(path, "cannot create a probe socket", errno);
  int rc;
  do {
    rc = ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno == EAGAIN) {
    throw std::runtime_error(
        strprintf("ctrl: socket %s: another daemon is listening on it; refusing to start a second one", path.c_str()));
  }
  if (errno != ECONNREFUSED) fail(path, "cannot probe the existing socket", errno);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail(path, "cannot remove the stale socket", errno);
  FLOG(g_log, NOTICE, "removed stale control socket %s left by a daemon that is gone", path.c_str());
}

}  // namespace

ListenSocket listen_unix(const std::string& path) {
  const sockaddr_un addr = address_of(path);
  make_parent_dirs(path);
  remove_if_stale(path, addr);

  ListenSocket out;
  out.fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!out.fd) fail(path, "cannot create socket", errno);
  if (::bind(out.fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    fail(path, "cannot bind", errno);
  }
  // Until listen() nobody can connect, so the umask-derived mode between bind and chmod is harmless.
  struct stat st {};
  if (::chmod(path.c_str(), 0600) != 0 || ::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    fail(path, "cannot set mode 0600", err);
  }
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  if (::listen(out.fd.get(), kBacklog) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    fail(path, "cannot listen", err);
  }
  return out;
}

void unlink_if_same(const std::string& path, const ListenSocket& socket) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (st.st_dev != socket.dev || st.st_ino != socket.ino) {
    FLOG(g_log, WARNING, "control socket %s was replaced by another process; leaving it in place", path.c_str());
    return;
  }
  if (::unlink(path.c_str()) != 0) {
    FLOG(g_log, WARNING, "cannot remove control socket %s: %s", path.c_str(), errno_text(errno));
  }
}

}  // namespace fulcrum::ctrl
