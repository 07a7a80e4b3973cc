#include "fulcrum/ctrl/server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "connection.hpp"
#include "ctrl_log.hpp"
#include "listen_socket.hpp"
#include "peer_auth.hpp"
#include "text.hpp"

namespace fulcrum::ctrl {
namespace {

constexpr int kMaxEvents = 64;
constexpr size_t kMaxConnections = 128;
constexpr unsigned kAcceptsPerPoll = 32;
constexpr size_t kReadChunk = size_t{64} * 1024;
// At most 1 MiB read per connection per poll(): one busy peer must not starve the master lcore's other jobs.
constexpr unsigned kReadsPerPoll = 16;
// Room for two of the largest replies: a client that pipelines a little is fine, one that stopped reading is not.
constexpr size_t kOutputLimit = 2 * (size_t{kMaxPayload} + sizeof(FrameHeader));
constexpr uint64_t kListenerKey = 0;

}  // namespace

struct Server::Impl {
  Impl(Registry& reg, const std::string& socket_path);
  ~Impl();
  unsigned poll();

 private:
  void accept_ready();
  void on_event(uint64_t key, uint32_t events);
  void read_ready(Connection& conn);
  void consume(Connection& conn, std::span<const unsigned char> data);
  void handle(Connection& conn, const FrameReader::Event& event);
  void refuse(Connection& conn);
  void protocol_error(Connection& conn, const FrameHeader& header, int status, const std::string& text, bool fatal);
  void reply(Connection& conn, const FrameHeader& request, int status, std::span<const unsigned char> payload);
  void send_pending(Connection& conn);
  void update_interest(uint64_t key, Connection& conn);

  Registry& registry_;
  std::string path_;
  ListenSocket listener_;
  UniqueFd epoll_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_key_ = kListenerKey + 1;
  std::vector<unsigned char> scratch_;
  bool accept_failing_ = false;  // say once that accept(2) fails, not on every poll while it does
  unsigned served_ = 0;

 public:
  ServerCounters counters;
};

Server::Impl::Impl(Registry& reg, const std::string& socket_path)
    : registry_(reg), path_(socket_path), listener_(listen_unix(socket_path)), scratch_(kReadChunk) {
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerKey;
  if (!epoll_ || ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.fd.get(), &ev) != 0) {
    const int err = errno;
    unlink_if_same(path_, listener_);
    throw std::runtime_error(strprintf("ctrl: socket %s: cannot set up epoll: %s", path_.c_str(), errno_text(err)));
  }
  FLOG(g_log, INFO, "control socket listening on %s", path_.c_str());
}

Server::Impl::~Impl() {
  conns_.clear();
  unlink_if_same(path_, listener_);
}

unsigned Server::Impl::poll() {
  served_ = 0;
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, 0);
  if (n < 0) {
    if (errno != EINTR) FLOG(g_log, ERR, "epoll_wait on control socket %s: %s", path_.c_str(), errno_text(errno));
    return 0;
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kListenerKey) {
      accept_ready();
    } else {
      on_event(events[i].data.u64, events[i].events);
    }
  }
  return served_;
}

void Server::Impl::accept_ready() {
  for (unsigned i = 0; i < kAcceptsPerPoll; ++i) {
    UniqueFd fd(::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (!accept_failing_) {
        FLOG(g_log, WARNING, "cannot accept on control socket %s: %s", path_.c_str(), errno_text(errno));
      }
      accept_failing_ = true;
      return;
    }
    accept_failing_ = false;

    const auto peer = peer_credentials(fd.get());
    if (!peer) {
      FLOG(g_log, WARNING, "cannot read SO_PEERCRED of a new control connection: %s; closing it", errno_text(errno));
      continue;
    }
    if (conns_.size() >= kMaxConnections) {
      FLOG(g_log, WARNING, "peer pid %d uid %u refused: %zu control connections open, the limit is %zu", peer->pid,
           peer->uid, conns_.size(), kMaxConnections);
      continue;
    }
    try {
      const uint64_t key = next_key_++;
      auto conn = std::make_unique<Connection>(std::move(fd), *peer, may_administer(*peer));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = key;
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, conn->fd(), &ev) != 0) {
        FLOG(g_log, WARNING, "peer pid %d uid %u: epoll_ctl: %s; closing", peer->pid, peer->uid, errno_text(errno));
        continue;
      }
      conn->epoll_events = EPOLLIN;
      FLOG(g_log, DEBUG, "peer pid %d uid %u connected%s", peer->pid, peer->uid,
           conn->authorised() ? "" : " without CAP_NET_ADMIN");
      conns_.emplace(key, std::move(conn));
      ++counters.accepted;
    } catch (const std::exception& e) {
      FLOG(g_log, ERR, "peer pid %d uid %u: cannot set up connection: %s", peer->pid, peer->uid, e.what());
    }
  }
}

void Server::Impl::on_event(uint64_t key, uint32_t events) {
  const auto it = conns_.find(key);
  if (it == conns_.end()) return;
  Connection& conn = *it->second;
  try {
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !conn.hang_up_after_flush) read_ready(conn);
    if (!conn.drop) send_pending(conn);
    if (!conn.drop && conn.hang_up_after_flush && conn.pending() == 0) conn.drop = true;
    if (!conn.drop) update_interest(key, conn);
  } catch (const std::exception& e) {
    FLOG(g_log, ERR, "peer pid %d uid %u: %s; disconnecting", conn.peer().pid, conn.peer().uid, e.what());
    conn.drop = true;
  }
  if (conn.drop) conns_.erase(it);  // closing the fd also removes it from the epoll set
}

void Server::Impl::read_ready(Connection& conn) {
  for (unsigned i = 0; i < kReadsPerPoll; ++i) {
    const ssize_t n = ::recv(conn.fd(), scratch_.data(), scratch_.size(), MSG_DONTWAIT);
    if (n > 0) {
      consume(conn, std::span(scratch_.data(), static_cast<size_t>(n)));
      if (conn.drop || conn.hang_up_after_flush) return;
      continue;
    }
    if (n == 0) {
      // The peer may have only shut down its writing side: its replies still go out before we hang up.
      if (conn.reader().mid_frame()) {
        FLOG(g_log, NOTICE, "peer pid %d uid %u closed the connection in the middle of a frame", conn.peer().pid,
             conn.peer().uid);
      }
      conn.hang_up_after_flush = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    FLOG(g_log, NOTICE, "peer pid %d uid %u: read: %s; disconnecting", conn.peer().pid, conn.peer().uid,
         errno_text(errno));
    conn.drop = true;
    return;
  }
}

void Server::Impl::consume(Connection& conn, std::span<const unsigned char> data) {
  while (!data.empty() && !conn.drop && !conn.hang_up_after_flush) {
    std::optional<FrameReader::Event> event;
    const size_t used = conn.reader().next(data, event);
    data = data.subspan(used);
    if (!conn.authorised()) {
      // Refuse at the first header: an unauthorised peer must not make us buffer its payload.
      if (event || conn.reader().in_payload()) refuse(conn);
    } else if (event) {
      handle(conn, *event);
    }
    if (used == 0 && !event) break;
  }
}

void Server::Impl::handle(Connection& conn, const FrameReader::Event& event) {
  const FrameHeader& h = event.header;
  switch (event.verdict) {
    case FrameReader::Verdict::request: {
      const Request request{static_cast<Kind>(h.kind), h.id, event.payload, conn.peer()};
      Response response;
      int status = registry_.dispatch(request, response);
      if (response.payload.size() > kMaxPayload) {
        const std::string text = strprintf("%s request id 0x%x: reply is %zu bytes, over the %u-byte limit",
                                           kind_name(h.kind).c_str(), h.id, response.payload.size(), kMaxPayload);
        FLOG(g_log, ERR, "peer pid %d uid %u: %s; answered EMSGSIZE", conn.peer().pid, conn.peer().uid, text.c_str());
        response.message("ctrl: " + text);
        status = EMSGSIZE;
      }
      reply(conn, h, status, response.payload);
      return;
    }
    case FrameReader::Verdict::bad_version:
      protocol_error(conn, h, EPROTONOSUPPORT,
                     strprintf("frame id 0x%x: protocol version %u is not supported, expected %u", h.id,
                               unsigned{h.version}, unsigned{kProtocolVersion}),
                     false);
      return;
    case FrameReader::Verdict::bad_kind:
      protocol_error(conn, h, EINVAL,
                     strprintf("frame id 0x%x: kind %s (%u) is not a request, expected get (1) or set (2)", h.id,
                               kind_name(h.kind).c_str(), unsigned{h.kind}),
                     false);
      return;
    case FrameReader::Verdict::bad_magic:
      protocol_error(conn, h, EPROTO,
                     strprintf("frame magic is 0x%08x, expected 0x%08x; closing the connection", h.magic, kFrameMagic),
                     true);
      return;
    case FrameReader::Verdict::oversize:
      protocol_error(conn, h, EMSGSIZE,
                     strprintf("frame id 0x%x: payload length is %u bytes, over the %u-byte limit; closing the "
                               "connection",
                               h.id, h.len, kMaxPayload),
                     true);
      return;
  }
}

void Server::Impl::protocol_error(Connection& conn, const FrameHeader& header, int status, const std::string& text,
                                  bool fatal) {
  ++counters.protocol_errors;
  FLOG(g_log, WARNING, "peer pid %d uid %u: %s; answered %s", conn.peer().pid, conn.peer().uid, text.c_str(),
       errno_name(status));
  Response response;
  response.message("ctrl: " + text);
  reply(conn, header, status, response.payload);
  if (fatal) conn.hang_up_after_flush = true;
}

void Server::Impl::refuse(Connection& conn) {
  ++counters.unauthorised;
  const Peer& peer = conn.peer();
  FLOG(g_log, WARNING, "peer pid %d uid %u gid %u lacks CAP_NET_ADMIN; answering EPERM and disconnecting", peer.pid,
       peer.uid, peer.gid);
  Response response;
  response.message(strprintf("permission denied: uid %u lacks CAP_NET_ADMIN", peer.uid));
  reply(conn, conn.reader().header(), EPERM, response.payload);
  conn.hang_up_after_flush = true;
}

void Server::Impl::reply(Connection& conn, const FrameHeader& request, int status,
                         std::span<const unsigned char> payload) {
  conn.queue_reply(request, status, payload);
  ++counters.requests;
  ++served_;
  if (status != 0) ++counters.errors;
  if (conn.pending() <= kOutputLimit) return;
  send_pending(conn);
  if (!conn.drop && conn.pending() > kOutputLimit) {
    FLOG(g_log, WARNING,
         "peer pid %d uid %u is not reading its replies: %zu bytes queued, the limit is %zu; "
         "disconnecting",
         conn.peer().pid, conn.peer().uid, conn.pending(), kOutputLimit);
    conn.drop = true;
  }
}

void Server::Impl::send_pending(Connection& conn) {
  int error = 0;
  if (conn.flush(error) == Connection::Flush::failed) {
    FLOG(g_log, DEBUG, "peer pid %d uid %u: write: %s; disconnecting", conn.peer().pid, conn.peer().uid,
         errno_text(error));
    conn.drop = true;
  }
}

void Server::Impl::update_interest(uint64_t key, Connection& conn) {
  const uint32_t want = (conn.hang_up_after_flush ? 0u : uint32_t{EPOLLIN}) | (conn.pending() > 0 ? EPOLLOUT : 0u);
  if (want == conn.epoll_events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = key;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, conn.fd(), &ev) != 0) {
    FLOG(g_log, WARNING, "peer pid %d uid %u: epoll_ctl: %s; disconnecting", conn.peer().pid, conn.peer().uid,
         errno_text(errno));
    conn.drop = true;
    return;
  }
  conn.epoll_events = want;
}

Server::Server(Registry& registry, std::string path) : path_(std::move(path)) {
  impl_ = std::make_unique<Impl>(registry, path_);
}

Server::~Server() = default;

unsigned Server::poll() {
  return impl_->poll();
}

const ServerCounters& Server::counters() const {
  return impl_->counters;
}

}  // namespace fulcrum::ctrl
