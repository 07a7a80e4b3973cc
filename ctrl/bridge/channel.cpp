#include "channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fulcrum/ctrl/protocol.hpp"
#include "log.hpp"
#include "real.hpp"

namespace fulcrum::bridge {
namespace {

constexpr int kDefaultTimeoutMs = 10'000;
constexpr int kHighFdCap = 1000;  // below FD_SETSIZE: a program that select()s on its own fds is unaffected

struct Channel {
  int fd = -1;
  pid_t pid = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  uint32_t seq = 0;
};

Channel g_channel;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

// The child of a fork has only the forking thread: a lock another thread held is nobody's now. The
// connection itself is dealt with at its next use (the pid check).
void after_fork_in_child() { pthread_mutex_init(&g_lock, nullptr); }

__attribute__((constructor)) void install_fork_handler() { pthread_atfork(nullptr, nullptr, &after_fork_in_child); }

int timeout_ms() {
  const char* v = std::getenv("FULCRUM_BRIDGE_TIMEOUT_MS");
  if (v == nullptr || *v == '\0') return kDefaultTimeoutMs;
  char* end = nullptr;
  const long ms = std::strtol(v, &end, 10);
  return (*end != '\0' || ms <= 0 || ms > 3'600'000) ? kDefaultTimeoutMs : static_cast<int>(ms);
}

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

int high_fd_floor() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kHighFdCap;
  if (rl.rlim_cur > static_cast<rlim_t>(kHighFdCap) + 24) return kHighFdCap;
  return rl.rlim_cur > 64 ? static_cast<int>(rl.rlim_cur) - 24 : 3;
}

void drop(Channel& c, bool close_it) {
  if (close_it && c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

// Whether the connection we hold is still ours and alive (see channel.hpp).
bool usable(Channel& c) {
  if (c.fd < 0) return false;
  struct stat st {};
  if (::fstat(c.fd, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_dev != c.dev || st.st_ino != c.ino) {
    debug("fd %d is no longer our connection (closed or reused by the program); opening another", c.fd);
    drop(c, false);
    return false;
  }
  if (c.pid != ::getpid()) {
    debug("connection inherited from pid %d through fork; opening this process's own", static_cast<int>(c.pid));
    drop(c, true);
    return false;
  }
  // Readable with no request outstanding: the daemon hung up (restart) or sent what nobody asked for.
  pollfd p{c.fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 0) {
    debug("connection closed by the daemon; reconnecting");
    drop(c, true);
    return false;
  }
  return true;
}

int open_channel(Channel& c, int ms) {
  const char* path = std::getenv(ctrl::kSocketEnv);
  if (path == nullptr || *path == '\0') path = ctrl::kDefaultSocketPath;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof addr.sun_path) {
    debug("socket path %s is too long", path);
    return ENOPROTOOPT;
  }
  std::strcpy(addr.sun_path, path);
  int fd = real::socket()(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno == EMFILE || errno == ENFILE || errno == ENOMEM ? errno : ENOPROTOOPT;
  const timeval tv{ms / 1000, (ms % 1000) * 1000};
  real::setsockopt()(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect() on a full backlog
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    debug("connect %s: %s", path, std::strerror(err));
    // No daemon is what a kernel without IPVS is; a socket we may not open is what an unprivileged caller is.
    return err == EACCES || err == EPERM ? EPERM : err == EAGAIN ? ETIMEDOUT : ENOPROTOOPT;
  }
  const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, high_fd_floor());
  if (high >= 0) {
    ::close(fd);
    fd = high;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return ENOPROTOOPT;
  }
  c.fd = fd;
  c.pid = ::getpid();
  c.dev = st.st_dev;
  c.ino = st.st_ino;
  debug("connected to %s as fd %d", path, fd);
  return 0;
}

// 0, or errno. `*sent_any` tells whether the daemon may have seen part of the request.
int send_request(Channel& c, const ctrl::FrameHeader& h, const void* payload, uint32_t len, bool* sent_any) {
  iovec iov[2] = {{const_cast<ctrl::FrameHeader*>(&h), sizeof h}, {const_cast<void*>(payload), len}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = len > 0 ? 2 : 1;
  size_t left = sizeof h + len;
  *sent_any = false;
  while (left > 0) {
    const ssize_t n = real::sendmsg()(c.fd, &m, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    }
    *sent_any = true;
    left -= static_cast<size_t>(n);
    size_t skip = static_cast<size_t>(n);
    while (m.msg_iovlen > 0 && skip >= m.msg_iov[0].iov_len) {
      skip -= m.msg_iov[0].iov_len;
      ++m.msg_iov;
      --m.msg_iovlen;
    }
    if (m.msg_iovlen > 0) {
      m.msg_iov[0].iov_base = static_cast<char*>(m.msg_iov[0].iov_base) + skip;
      m.msg_iov[0].iov_len -= skip;
    }
  }
  return 0;
}

int read_exact(int fd, void* buf, size_t len, int64_t deadline) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    const int64_t left = deadline - now_ms();
    if (left <= 0) return ETIMEDOUT;
    pollfd pf{fd, POLLIN, 0};
    const int rc = ::poll(&pf, 1, static_cast<int>(left));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (rc == 0) return ETIMEDOUT;
    const ssize_t n = ::recv(fd, p, len, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return errno;
    }
    if (n == 0) return ENOPROTOOPT;  // the daemon went away mid-call
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

int exchange(Channel& c, uint16_t kind, uint32_t id, const void* payload, uint32_t len, uint32_t max_reply,
             int ms, Reply* out, bool* sent_any) {
  const ctrl::FrameHeader h{ctrl::kFrameMagic, ctrl::kProtocolVersion, kind, id, ++c.seq, 0, len};
  if (int err = send_request(c, h, payload, len, sent_any); err != 0) return err;
  const int64_t deadline = now_ms() + ms;
  ctrl::FrameHeader r{};
  if (int err = read_exact(c.fd, &r, sizeof r, deadline); err != 0) return err;
  if (r.magic != ctrl::kFrameMagic || r.kind != static_cast<uint16_t>(ctrl::Kind::reply) || r.id != id ||
      r.seq != h.seq || r.len > ctrl::kMaxPayload || (r.status == 0 && r.len > max_reply)) {
    debug("garbled reply to id %u: magic %08x kind %u id %u seq %u/%u len %u", id, r.magic, r.kind, r.id, r.seq,
          h.seq, r.len);
    return EPROTO;
  }
  unsigned char* data = nullptr;
  if (r.len > 0) {
    data = static_cast<unsigned char*>(std::malloc(r.len));
    if (data == nullptr) return ENOMEM;
    if (int err = read_exact(c.fd, data, r.len, deadline); err != 0) {
      std::free(data);
      return err;
    }
  }
  out->status = r.status;
  out->data = data;
  out->len = r.len;
  return 0;
}

}  // namespace

int call(uint16_t kind, uint32_t id, const void* payload, uint32_t len, uint32_t max_reply, Reply* out) {
  const int ms = timeout_ms();
  pthread_mutex_lock(&g_lock);
  Channel& c = g_channel;
  int err = 0;
  // A connection that was fine until now may find the daemon restarted as it writes: then, and only if the
  // daemon can not have seen a byte of the request, one more try on a new connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = usable(c);
    if (!reused && (err = open_channel(c, ms)) != 0) break;
    bool sent_any = false;
    err = exchange(c, kind, id, payload, len, max_reply, ms, out, &sent_any);
    if (err == 0) break;
    drop(c, true);  // after any failure the stream may be out of step
    const bool retry = reused && !sent_any && (err == EPIPE || err == ECONNRESET || err == ENOTCONN);
    if (!retry) break;
  }
  if (err == EPIPE || err == ECONNRESET || err == ENOTCONN) err = ENOPROTOOPT;
  pthread_mutex_unlock(&g_lock);
  return err;
}

}  // namespace fulcrum::bridge
