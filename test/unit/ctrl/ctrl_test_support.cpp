#include "ctrl_test_support.hpp"

#include <poll.h>
#include <stdlib.h>

#include <cerrno>

namespace fulcrum::ctrl::test {

using namespace std::chrono_literals;

Registry make_test_registry() {
  Registry registry;
  registry.claim("test", kTestFirst, kTestLast);
  registry.add("test", {Kind::get, kEcho, "test.echo", 0, 4096, [](const Request& req, Response& resp) {
                          resp.payload.assign(req.payload.begin(), req.payload.end());
                          return 0;
                        }});
  registry.add("test", {Kind::set, kFixed, "test.fixed", 8, 8, [](const Request&, Response&) { return 0; }});
  registry.add("test", {Kind::get, kThrow, "test.throw", 0, 0,
                        [](const Request&, Response&) -> int { throw std::runtime_error("boom"); }});
  registry.add("test", {Kind::get, kBig, "test.big", 4, 4, [](const Request& req, Response& resp) {
                          uint32_t size = 0;
                          std::memcpy(&size, req.payload.data(), sizeof(size));
                          resp.payload.assign(size, 0xab);
                          return 0;
                        }});
  registry.add("test", {Kind::get, kNotFound, "test.not_found", 0, 0, [](const Request&, Response& resp) {
                          resp.message("no such thing");
                          return ENOENT;
                        }});
  registry.add("test", {Kind::set, kSink, "test.sink", 0, kMaxPayload, [](const Request& req, Response& resp) {
                          for (size_t i = 0; i < req.payload.size(); ++i) {
                            if (req.payload[i] != static_cast<unsigned char>(i)) {
                              resp.message("corrupt at byte " + std::to_string(i));
                              return EBADMSG;
                            }
                          }
                          const auto size = static_cast<uint32_t>(req.payload.size());
                          resp.payload.resize(sizeof(size));
                          std::memcpy(resp.payload.data(), &size, sizeof(size));
                          return 0;
                        }});
  return registry;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/fulcrum-ctrl-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

PolledServer::PolledServer(Registry& registry, const std::string& path) : server_(registry, path) {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      server_.poll();
      std::this_thread::sleep_for(200us);
    }
  });
}

PolledServer::~PolledServer() {
  stop();
}

void PolledServer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<unsigned char> make_frame(Kind kind, uint32_t id, uint32_t seq, std::vector<unsigned char> payload,
                                      uint32_t magic, uint16_t version) {
  FrameHeader h{magic, version, static_cast<uint16_t>(kind), id, seq, 0, static_cast<uint32_t>(payload.size())};
  // Sized once and filled with memcpy: GCC 12 at -O3 misreads vector::insert of a possibly empty range
  // as out of bounds (-Warray-bounds).
  std::vector<unsigned char> out(sizeof(h) + payload.size());
  std::memcpy(out.data(), &h, sizeof(h));
  if (!payload.empty()) std::memcpy(out.data() + sizeof(h), payload.data(), payload.size());
  return out;
}

std::vector<unsigned char> make_header_only(Kind kind, uint32_t id, uint32_t seq, uint32_t len) {
  FrameHeader h{kFrameMagic, kProtocolVersion, static_cast<uint16_t>(kind), id, seq, 0, len};
  std::vector<unsigned char> out(sizeof(h));
  std::memcpy(out.data(), &h, sizeof(h));
  return out;
}

std::vector<unsigned char> bytes(const std::string& text) {
  return {text.begin(), text.end()};
}

std::string message_of(const Frame& frame) {
  if (frame.payload.empty() || frame.payload.back() != '\0') return "<no message>";
  return std::string(reinterpret_cast<const char*>(frame.payload.data()));
}

RawPeer::RawPeer(const std::string& path) {
  fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
  }
}

void RawPeer::send(const std::vector<unsigned char>& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd_.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (errno == EAGAIN) {
      pollfd p{fd_.get(), POLLOUT, 0};
      ::poll(&p, 1, 10);
    } else if (errno != EINTR) {
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
  }
}

int RawPeer::fill(Server* server, size_t want, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_.size() < want) {
    if (server != nullptr) server->poll();
    unsigned char buf[65536];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
    if (std::chrono::steady_clock::now() > end) return 0;
    pollfd p{fd_.get(), POLLIN, 0};
    ::poll(&p, 1, server != nullptr ? 0 : 10);
    if (server != nullptr) std::this_thread::sleep_for(100us);
  }
  return 1;
}

std::optional<Frame> RawPeer::read_frame(Server* server, int timeout_ms) {
  if (fill(server, sizeof(FrameHeader), timeout_ms) != 1) return std::nullopt;
  Frame frame;
  std::memcpy(&frame.header, in_.data(), sizeof(frame.header));
  if (fill(server, sizeof(FrameHeader) + frame.header.len, timeout_ms) != 1) return std::nullopt;
  frame.payload.assign(in_.begin() + sizeof(FrameHeader),
                       in_.begin() + static_cast<ptrdiff_t>(sizeof(FrameHeader) + frame.header.len));
  in_.erase(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(sizeof(FrameHeader) + frame.header.len));
  return frame;
}

bool RawPeer::closed_by_server(Server* server, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    in_.clear();
    if (fill(server, 1 << 30, 20) == -1) return true;
  }
  return false;
}

bool RawPeer::silent_for(Server* server, int ms) {
  return fill(server, in_.size() + 1, ms) == 0;
}

}  // namespace fulcrum::ctrl::test
