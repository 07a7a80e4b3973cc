// Linked into an LD_PRELOAD library: no exceptions escape, no globals, no static constructors, no DPDK.

#include "fulcrum/ctrl/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace fulcrum::ctrl {
namespace {

using Clock = std::chrono::steady_clock;

// A deadline for the whole call; a negative timeout waits forever.
class Deadline {
 public:
  explicit Deadline(int timeout_ms)
      : forever_(timeout_ms < 0), end_(Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)) {}
  // Milliseconds left for poll(2): rounded up so that we never spin, -1 for forever, 0 once expired.
  int poll_ms() const {
    if (forever_) return -1;
    const auto left = end_ - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
  }
  bool expired() const { return !forever_ && Clock::now() >= end_; }

 private:
  bool forever_;
  Clock::time_point end_;
};

// Waits for `events` on fd; 0 when ready, else ETIMEDOUT or the poll error.
int wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = deadline.poll_ms();
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return 0;  // POLLERR and POLLHUP also end the wait: the next send or recv reports them
    if (rc == 0) {
      if (deadline.expired()) return ETIMEDOUT;
      continue;
    }
    if (errno != EINTR) return errno;
  }
}

int send_all(int fd, const FrameHeader& header, const void* payload, uint32_t len, const Deadline& deadline) {
  iovec iov[2] = {{const_cast<FrameHeader*>(&header), sizeof(header)}, {const_cast<void*>(payload), len}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = len > 0 ? 2 : 1;
  size_t left = sizeof(header) + len;
  while (left > 0) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (const int err = wait_for(fd, POLLOUT, deadline); err != 0) return err;
        continue;
      }
      return errno;
    }
    left -= static_cast<size_t>(n);
    size_t done = static_cast<size_t>(n);
    while (done > 0 && msg.msg_iovlen > 0) {
      const size_t step = done < msg.msg_iov->iov_len ? done : msg.msg_iov->iov_len;
      msg.msg_iov->iov_base = static_cast<char*>(msg.msg_iov->iov_base) + step;
      msg.msg_iov->iov_len -= step;
      done -= step;
      if (msg.msg_iov->iov_len == 0) {
        ++msg.msg_iov;
        --msg.msg_iovlen;
      }
    }
  }
  return 0;
}

int recv_all(int fd, void* buf, size_t len, const Deadline& deadline) {
  auto* at = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t n = ::recv(fd, at, len, 0);
    if (n > 0) {
      at += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return ECONNRESET;  // the daemon hung up before its reply was complete
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (const int err = wait_for(fd, POLLIN, deadline); err != 0) return err;
      continue;
    }
    return errno;
  }
  return 0;
}

// strerror_r comes in a GNU and an XSI flavour depending on feature macros; accept either.
[[maybe_unused]] const char* strerror_result(const char* text, const char*) {
  return text;
}
[[maybe_unused]] const char* strerror_result(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

bool looks_like_message(const std::vector<unsigned char>& payload) {
  if (payload.size() < 2 || payload.back() != '\0') return false;
  return std::memchr(payload.data(), '\0', payload.size() - 1) == nullptr;
}

}  // namespace

std::string CallReply::error_text() const {
  try {
    if (status != 0 && looks_like_message(payload)) {
      return std::string(reinterpret_cast<const char*>(payload.data()), payload.size() - 1);
    }
    char buf[128];
    return strerror_result(strerror_r(status, buf, sizeof(buf)), buf);
  } catch (...) {
    return std::string();  // only bad_alloc can get here, and it must not escape into a preloaded process
  }
}

Client::~Client() {
  close();
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), timeout_ms_(other.timeout_ms_), seq_(other.seq_) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    timeout_ms_ = other.timeout_ms_;
    seq_ = other.seq_;
  }
  return *this;
}

std::string Client::default_path() {
  // Plain getenv, not secure_getenv: the tools are not setuid, and the daemon checks every peer anyway.
  // Only reading the environment while another thread calls setenv is unsafe, which these callers do not do.
  const char* env = std::getenv(kSocketEnv);  // NOLINT(concurrency-mt-unsafe)
  try {
    return env != nullptr && env[0] != '\0' ? std::string(env) : std::string(kDefaultSocketPath);
  } catch (...) {
    return std::string();
  }
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int Client::connect(const std::string& path, int timeout_ms) {
  close();
  timeout_ms_ = timeout_ms;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return EINVAL;
  if (path.size() >= sizeof(addr.sun_path)) return ENAMETOOLONG;
  std::memcpy(addr.sun_path, path.data(), path.size());

  // Non-blocking throughout, so that every wait goes through poll(2) with the caller's timeout.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const Deadline deadline(timeout_ms);
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    // A unix socket reports a full listen backlog as EAGAIN and offers nothing to wait on: retry shortly.
    if (err == EAGAIN && !deadline.expired()) {
      const int ms = deadline.poll_ms();
      ::poll(nullptr, 0, ms < 0 || ms > 10 ? 10 : ms);
      continue;
    }
    ::close(fd);
    return err == EAGAIN ? ETIMEDOUT : err;
  }
  fd_ = fd;
  return 0;
}

CallReply Client::call(Kind kind, uint32_t id, const void* payload, uint32_t len) {
  CallReply reply;
  if (fd_ < 0) {
    reply.status = ENOTCONN;
    return reply;
  }
  if (len > kMaxPayload) {
    reply.status = EMSGSIZE;
    return reply;
  }
  if (len > 0 && payload == nullptr) {
    reply.status = EINVAL;
    return reply;
  }

  const Deadline deadline(timeout_ms_);
  const uint32_t seq = ++seq_;
  const FrameHeader request{kFrameMagic, kProtocolVersion, static_cast<uint16_t>(kind), id, seq, 0, len};
  const int send_err = send_all(fd_, request, payload, len, deadline);
  // A daemon that refuses us answers after the header and hangs up, so our write can fail with its reply
  // already waiting: read it before reporting the broken pipe.
  if (send_err != 0 && send_err != EPIPE && send_err != ECONNRESET) {
    close();
    reply.status = send_err;
    return reply;
  }

  FrameHeader header{};
  if (const int err = recv_all(fd_, &header, sizeof(header), deadline); err != 0) {
    close();
    reply.status = send_err != 0 ? send_err : err;
    return reply;
  }
  if (header.magic != kFrameMagic || header.version != kProtocolVersion ||
      header.kind != static_cast<uint16_t>(Kind::reply) || header.seq != seq || header.id != id ||
      header.len > kMaxPayload || header.status < 0) {
    close();
    reply.status = EPROTO;
    return reply;
  }
  try {
    reply.payload.resize(header.len);
  } catch (...) {
    close();  // the unread payload leaves the stream out of step
    reply.status = ENOMEM;
    return reply;
  }
  if (const int err = recv_all(fd_, reply.payload.data(), header.len, deadline); err != 0) {
    close();
    reply.payload.clear();
    reply.status = err;
    return reply;
  }
  if (send_err != 0) close();
  reply.status = header.status;
  return reply;
}

}  // namespace fulcrum::ctrl
