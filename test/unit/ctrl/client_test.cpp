#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "ctrl_test_support.hpp"
#include "fulcrum/ctrl/client.hpp"

using namespace fulcrum::ctrl;
using namespace fulcrum::ctrl::test;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

UniqueFd listen_raw(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd.get(), 4) == 0);
  return fd;
}

// A stand-in daemon on its own thread: accepts one peer, reads one request, and answers with whatever
// `answer` builds from the request's header (nothing at all when it returns an empty vector).
class FakeDaemon {
 public:
  using Answer = std::function<std::vector<unsigned char>(const FrameHeader&)>;
  FakeDaemon(const std::string& path, Answer answer, bool hang_up = false)
      : listener_(listen_raw(path)), thread_([this, answer = std::move(answer), hang_up] { run(answer, hang_up); }) {}
  ~FakeDaemon() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run(const Answer& answer, bool hang_up) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    UniqueFd peer(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    FrameHeader header{};
    if (::recv(peer.get(), &header, sizeof(header), MSG_WAITALL) != sizeof(header)) return;
    std::vector<unsigned char> payload(header.len);
    if (header.len > 0) ::recv(peer.get(), payload.data(), payload.size(), MSG_WAITALL);
    const auto reply = answer(header);
    if (!reply.empty()) ::send(peer.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    if (hang_up) return;
    while (!stop_) std::this_thread::sleep_for(1ms);  // silent, with the connection open
  }

  UniqueFd listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<unsigned char> reply_frame(FrameHeader h, std::vector<unsigned char> payload = {}) {
  h.kind = static_cast<uint16_t>(Kind::reply);
  h.len = static_cast<uint32_t>(payload.size());
  // Sized once and filled with memcpy: GCC 12 at -O3 misreads vector::insert of a possibly empty range
  // as out of bounds (-Warray-bounds).
  std::vector<unsigned char> out(sizeof(h) + payload.size());
  std::memcpy(out.data(), &h, sizeof(h));
  if (!payload.empty()) std::memcpy(out.data() + sizeof(h), payload.data(), payload.size());
  return out;
}

}  // namespace

TEST_CASE("client: default_path honours FULCRUM_CTRL_SOCKET") {
  const char* saved = std::getenv(kSocketEnv);
  const std::string restore = saved != nullptr ? saved : "";
  ::unsetenv(kSocketEnv);
  CHECK(Client::default_path() == "/run/fulcrum/ctrl.sock");
  ::setenv(kSocketEnv, "/tmp/elsewhere.sock", 1);
  CHECK(Client::default_path() == "/tmp/elsewhere.sock");
  ::setenv(kSocketEnv, "", 1);
  CHECK(Client::default_path() == kDefaultSocketPath);
  if (saved != nullptr) {
    ::setenv(kSocketEnv, restore.c_str(), 1);
  } else {
    ::unsetenv(kSocketEnv);
  }
}

TEST_CASE("client: connecting to a missing or dead socket gives ENOENT or ECONNREFUSED") {
  TempDir dir;
  Client client;
  CHECK(client.connect(dir.socket(), 500) == ENOENT);
  CHECK_FALSE(client.connected());
  {
    UniqueFd bound(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, dir.socket().c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(bound.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  CHECK(client.connect(dir.socket(), 500) == ECONNREFUSED);
  CHECK(client.connect(std::string(200, 'x'), 500) == ENAMETOOLONG);
  CHECK(client.connect("", 500) == EINVAL);
  CHECK(client.call(Kind::get, kEcho, nullptr, 0).status == ENOTCONN);
}

TEST_CASE("client: the connection is close-on-exec and survives a move") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  CHECK((::fcntl(client.fd(), F_GETFD) & FD_CLOEXEC) != 0);
  Client moved(std::move(client));
  CHECK_FALSE(client.connected());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(moved.get(kEcho, "m", 1).status == 0);
  Client assigned;
  assigned = std::move(moved);
  CHECK(assigned.get(kEcho, "a", 1).status == 0);
  assigned.close();
  CHECK_FALSE(assigned.connected());
}

TEST_CASE("client: a daemon that never answers gives ETIMEDOUT within the timeout") {
  TempDir dir;
  FakeDaemon silent(dir.socket(), [](const FrameHeader&) { return std::vector<unsigned char>{}; });
  Client client;
  REQUIRE(client.connect(dir.socket(), 300) == 0);
  const auto start = std::chrono::steady_clock::now();
  const CallReply reply = client.get(kEcho, "ping", 4);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(reply.status == ETIMEDOUT);
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 1500ms);
  CHECK_FALSE(client.connected());
  CHECK_THAT(reply.error_text(), Contains("timed out"));
}

TEST_CASE("client: malformed replies are EPROTO and close the connection") {
  using Mangle = std::function<void(FrameHeader&)>;
  const std::pair<const char*, Mangle> cases[] = {
      {"bad magic", [](FrameHeader& h) { h.magic = 0x1234; }},
      {"bad version", [](FrameHeader& h) { h.version = 9; }},
      {"wrong seq", [](FrameHeader& h) { h.seq += 1; }},
      {"wrong id", [](FrameHeader& h) { h.id += 1; }},
      {"not a reply", [](FrameHeader& h) { h.kind = static_cast<uint16_t>(Kind::get); }},
      {"negative status", [](FrameHeader& h) { h.status = -5; }},
  };
  for (const auto& [name, mangle] : cases) {
    INFO(name);
    TempDir dir;
    FakeDaemon daemon(dir.socket(), [&mangle = mangle](const FrameHeader& request) {
      auto out = reply_frame(request);
      FrameHeader h{};
      std::memcpy(&h, out.data(), sizeof(h));
      mangle(h);
      std::memcpy(out.data(), &h, sizeof(h));
      return out;
    });
    Client client;
    REQUIRE(client.connect(dir.socket(), 2000) == 0);
    CHECK(client.get(kEcho, "x", 1).status == EPROTO);
    CHECK_FALSE(client.connected());
  }
}

TEST_CASE("client: a reply with a kind reply header passes, checking the fake daemon itself") {
  TempDir dir;
  FakeDaemon daemon(dir.socket(), [](const FrameHeader& request) { return reply_frame(request, bytes("pong")); });
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  const CallReply reply = client.get(kEcho, "ping", 4);
  CHECK(reply.status == 0);
  CHECK(reply.payload == bytes("pong"));
  CHECK(client.connected());
}

TEST_CASE("client: a daemon that hangs up mid-reply gives ECONNRESET") {
  TempDir dir;
  FakeDaemon daemon(
      dir.socket(),
      [](const FrameHeader& request) {
        auto out = reply_frame(request, bytes("0123456789"));
        out.erase(out.end() - 4, out.end());  // the last 4 payload bytes never come
        return out;
      },
      true);
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  CHECK(client.get(kEcho, "x", 1).status == ECONNRESET);
  CHECK_FALSE(client.connected());
}

TEST_CASE("client: error_text prefers the daemon's message, else strerror") {
  CallReply with_message{ENOENT, {'n', 'o', ' ', 's', 'e', 'r', 'v', 'i', 'c', 'e', '\0'}};
  CHECK(with_message.error_text() == "no service");
  CallReply without{ENOENT, {}};
  CHECK(without.error_text() == std::strerror(ENOENT));
  CallReply not_text{EINVAL, {'a', 'b'}};
  CHECK(not_text.error_text() == std::strerror(EINVAL));
  CallReply embedded_nul{EINVAL, {'a', '\0', 'b', '\0'}};
  CHECK(embedded_nul.error_text() == std::strerror(EINVAL));
  CallReply success{0, {'o', 'k', '\0'}};
  CHECK(success.error_text() == std::strerror(0));
}

TEST_CASE("client: oversize or null payloads are refused locally without touching the connection") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  static const unsigned char dummy = 0;
  CHECK(client.call(Kind::get, kEcho, &dummy, kMaxPayload + 1).status == EMSGSIZE);
  CHECK(client.call(Kind::get, kEcho, nullptr, 4).status == EINVAL);
  CHECK(client.connected());
  CHECK(client.get(kEcho, "ok", 2).status == 0);
}
