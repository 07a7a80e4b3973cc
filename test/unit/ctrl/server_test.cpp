#include <catch2/catch.hpp>

#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ctrl_test_support.hpp"
#include "fulcrum/ctrl/client.hpp"
#include "fulcrum/ctrl/server.hpp"

using namespace fulcrum::ctrl;
using namespace fulcrum::ctrl::test;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Leaves a socket file with no listener behind, as a daemon that was killed does.
void make_stale_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
}

std::vector<unsigned char> u32_payload(uint32_t value) {
  std::vector<unsigned char> out(sizeof(value));
  std::memcpy(out.data(), &value, sizeof(value));
  return out;
}

}  // namespace

TEST_CASE("server: an echo round trip through the client") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  const std::string hello = "hello, fulcrum";
  const CallReply reply = client.get(kEcho, hello.data(), static_cast<uint32_t>(hello.size()));
  REQUIRE(reply.status == 0);
  CHECK(std::string(reply.payload.begin(), reply.payload.end()) == hello);
  const CallReply empty = client.get(kEcho);
  CHECK(empty.status == 0);
  CHECK(empty.payload.empty());
  polled.stop();
  CHECK(polled.server().counters().accepted == 1);
  CHECK(polled.server().counters().requests == 2);
  CHECK(polled.server().counters().errors == 0);
}

TEST_CASE("server: large requests and replies survive partial reads and writes") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 10000) == 0);

  std::vector<unsigned char> big(kMaxPayload);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<unsigned char>(i);
  const CallReply sunk = client.set(kSink, big.data(), kMaxPayload);
  REQUIRE(sunk.status == 0);
  REQUIRE(sunk.payload.size() == 4);
  uint32_t size = 0;
  std::memcpy(&size, sunk.payload.data(), sizeof(size));
  CHECK(size == kMaxPayload);

  const auto want = u32_payload(kMaxPayload);
  const CallReply large = client.get(kBig, want.data(), 4);
  REQUIRE(large.status == 0);
  CHECK(large.payload.size() == kMaxPayload);
  CHECK(large.payload.back() == 0xab);
}

TEST_CASE("server: a request written one byte at a time is answered exactly once") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  const auto frame = make_frame(Kind::get, kEcho, 7, bytes("abcdef"));
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    peer.send({frame[i]});
    server.poll();
    server.poll();
  }
  CHECK(peer.silent_for(&server, 20));
  CHECK(server.counters().requests == 0);
  peer.send({frame.back()});
  const auto reply = peer.read_frame(&server);
  REQUIRE(reply);
  CHECK(reply->header.magic == kFrameMagic);
  CHECK(reply->header.kind == static_cast<uint16_t>(Kind::reply));
  CHECK(reply->header.id == kEcho);
  CHECK(reply->header.seq == 7);
  CHECK(reply->header.status == 0);
  CHECK(reply->payload == bytes("abcdef"));
  CHECK(peer.silent_for(&server, 100));
  CHECK(server.counters().requests == 1);
}

TEST_CASE("server: requests sharing one write are all answered, in order") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  auto batch = make_frame(Kind::get, kEcho, 1, bytes("first"));
  const auto second = make_frame(Kind::get, kEcho, 2, bytes("second"));
  const auto third = make_frame(Kind::get, kNotFound, 3);
  batch.insert(batch.end(), second.begin(), second.end());
  batch.insert(batch.end(), third.begin(), third.end());
  peer.send(batch);

  const auto r1 = peer.read_frame(&server);
  const auto r2 = peer.read_frame(&server);
  const auto r3 = peer.read_frame(&server);
  REQUIRE(r1);
  REQUIRE(r2);
  REQUIRE(r3);
  CHECK(r1->header.seq == 1);
  CHECK(r1->payload == bytes("first"));
  CHECK(r2->header.seq == 2);
  CHECK(r2->payload == bytes("second"));
  CHECK(r3->header.seq == 3);
  CHECK(r3->header.status == ENOENT);
  CHECK(message_of(*r3) == "no such thing");
  CHECK(peer.silent_for(&server, 50));
  CHECK(server.counters().requests == 3);
  CHECK(server.counters().errors == 1);
}

TEST_CASE("server: a payload over the handler's max_len is EINVAL and the connection goes on") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::get, kEcho, 1, std::vector<unsigned char>(4097, 'x')));
  const auto rejected = peer.read_frame(&server);
  REQUIRE(rejected);
  CHECK(rejected->header.status == EINVAL);
  CHECK(rejected->header.seq == 1);
  CHECK_THAT(message_of(*rejected),
             Contains("0x10002") && Contains("test.echo") && Contains("payload is 4097 bytes, expected 0 to 4096"));

  peer.send(make_frame(Kind::set, kFixed, 2, bytes("short")));
  const auto too_short = peer.read_frame(&server);
  REQUIRE(too_short);
  CHECK(too_short->header.status == EINVAL);
  CHECK_THAT(message_of(*too_short), Contains("payload is 5 bytes, expected 8"));

  peer.send(make_frame(Kind::get, kEcho, 3, bytes("still here")));
  const auto echoed = peer.read_frame(&server);
  REQUIRE(echoed);
  CHECK(echoed->header.status == 0);
  CHECK(echoed->payload == bytes("still here"));
}

TEST_CASE("server: a length over kMaxPayload gets EMSGSIZE and the connection is closed") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  peer.send(make_header_only(Kind::get, kEcho, 5, kMaxPayload + 1));
  const auto reply = peer.read_frame(&server);
  REQUIRE(reply);
  CHECK(reply->header.status == EMSGSIZE);
  CHECK(reply->header.seq == 5);
  CHECK_THAT(message_of(*reply), Contains(std::to_string(kMaxPayload + 1)));
  CHECK(peer.closed_by_server(&server));
  CHECK(server.counters().protocol_errors == 1);
}

TEST_CASE("server: a bad magic gets EPROTO and the connection is closed") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::get, kEcho, 9, bytes("abc"), 0xdeadbeef));
  const auto reply = peer.read_frame(&server);
  REQUIRE(reply);
  CHECK(reply->header.status == EPROTO);
  CHECK_THAT(message_of(*reply), Contains("0xdeadbeef"));
  CHECK(peer.closed_by_server(&server));
  CHECK(server.counters().protocol_errors == 1);

  // The server itself is unharmed.
  RawPeer next(dir.socket());
  next.send(make_frame(Kind::get, kEcho, 1, bytes("ok")));
  const auto fine = next.read_frame(&server);
  REQUIRE(fine);
  CHECK(fine->header.status == 0);
}

TEST_CASE("server: a wrong version gets EPROTONOSUPPORT, its payload is skipped and the stream stays in sync") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  // The skipped payload holds what looks like a frame: it must not be answered.
  auto batch = make_frame(Kind::get, kEcho, 1, make_frame(Kind::get, kEcho, 99, bytes("hidden")), kFrameMagic, 2);
  const auto after = make_frame(Kind::get, kEcho, 2, bytes("after"));
  batch.insert(batch.end(), after.begin(), after.end());
  peer.send(batch);

  const auto refused = peer.read_frame(&server);
  REQUIRE(refused);
  CHECK(refused->header.status == EPROTONOSUPPORT);
  CHECK(refused->header.seq == 1);
  CHECK(refused->header.version == kProtocolVersion);
  CHECK_THAT(message_of(*refused), Contains("version 2"));
  const auto answered = peer.read_frame(&server);
  REQUIRE(answered);
  CHECK(answered->header.seq == 2);
  CHECK(answered->payload == bytes("after"));
  CHECK(peer.silent_for(&server, 50));
  CHECK(server.counters().protocol_errors == 1);
}

TEST_CASE("server: a reply frame sent as a request is EINVAL and the connection goes on") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::reply, kEcho, 1, bytes("xyz")));
  peer.send(make_frame(static_cast<Kind>(77), kEcho, 2));
  peer.send(make_frame(Kind::get, kEcho, 3, bytes("fine")));
  const auto as_reply = peer.read_frame(&server);
  const auto odd_kind = peer.read_frame(&server);
  const auto fine = peer.read_frame(&server);
  REQUIRE(as_reply);
  REQUIRE(odd_kind);
  REQUIRE(fine);
  CHECK(as_reply->header.status == EINVAL);
  CHECK_THAT(message_of(*as_reply), Contains("kind reply (3)"));
  CHECK(odd_kind->header.status == EINVAL);
  CHECK(fine->header.status == 0);
  CHECK(fine->payload == bytes("fine"));
}

TEST_CASE("server: an unknown id is EOPNOTSUPP, a throwing handler EIO, and the server goes on") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  const CallReply unknown = client.get(kUnassigned);
  CHECK(unknown.status == EOPNOTSUPP);
  CHECK_THAT(unknown.error_text(), Contains("0x10063"));
  const CallReply wrong_kind = client.set(kEcho);
  CHECK(wrong_kind.status == EOPNOTSUPP);
  const CallReply thrown = client.get(kThrow);
  CHECK(thrown.status == EIO);
  CHECK_THAT(thrown.error_text(), Contains("boom"));
  const CallReply echoed = client.get(kEcho, "x", 1);
  CHECK(echoed.status == 0);
  polled.stop();
  CHECK(polled.server().counters().errors == 3);
}

TEST_CASE("server: a reply over kMaxPayload becomes EMSGSIZE") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  Client client;
  REQUIRE(client.connect(dir.socket(), 5000) == 0);
  const auto want = u32_payload(kMaxPayload + 1);
  const CallReply reply = client.get(kBig, want.data(), 4);
  CHECK(reply.status == EMSGSIZE);
  CHECK_THAT(reply.error_text(), Contains("over the"));
  CHECK(client.get(kEcho).status == 0);
}

TEST_CASE("server: a peer without CAP_NET_ADMIN gets EPERM and is disconnected") {
  if (::geteuid() != 0) {
    WARN("needs root to switch a child to uid 65534; not run");
    return;
  }
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // mkdtemp made it 0700: nobody could not reach the socket
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  REQUIRE(::chmod(dir.socket().c_str(), 0666) == 0);
  const std::string path = dir.socket();

  // Forked before any thread exists in this test, so the child may allocate freely.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(10);
    }
    Client client;
    if (client.connect(path, 5000) != 0) ::_exit(11);
    const CallReply refused = client.get(kEcho, "hi", 2);
    if (refused.status != EPERM) ::_exit(12);
    if (refused.error_text() != "permission denied: uid 65534 lacks CAP_NET_ADMIN") ::_exit(13);
    if (client.get(kEcho, "hi", 2).status == 0) ::_exit(14);  // must have been disconnected
    try {
      // Refused on the header alone: the daemon must not wait for (and buffer) an unauthorised payload.
      RawPeer raw(path);
      raw.send(make_header_only(Kind::set, kSink, 77, 1u << 20));
      const auto frame = raw.read_frame(nullptr, 5000);
      if (!frame || frame->header.status != EPERM || frame->header.seq != 77) ::_exit(15);
      if (!raw.closed_by_server(nullptr, 5000)) ::_exit(16);
    } catch (...) {
      ::_exit(17);
    }
    ::_exit(0);
  }

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    server.poll();
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      FAIL("the unprivileged child did not finish");
    }
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(WIFEXITED(status));
  // 10 setup, 11 connect, 12 status, 13 message, 14 not disconnected, 15-17 not refused on the header alone
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(server.counters().unauthorised == 2);
  CHECK(server.counters().accepted == 2);
}

TEST_CASE("server: the socket is mode 0600 and missing directories are created 0755") {
  TempDir dir;
  const std::string path = (dir.path() / "run" / "fulcrum" / "ctrl.sock").string();
  Registry registry = make_test_registry();
  // Neither mode may depend on the daemon's umask.
  const mode_t old_umask = ::umask(0);
  std::optional<Server> server;
  server.emplace(registry, path);
  ::umask(old_umask);
  CHECK(mode_of(path) == 0600);
  CHECK(S_ISSOCK([&] {
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st.st_mode;
  }()));
  CHECK(mode_of((dir.path() / "run").string()) == 0755);
  CHECK(mode_of((dir.path() / "run" / "fulcrum").string()) == 0755);
  server.reset();
  CHECK_FALSE(std::filesystem::exists(path));

  const mode_t strict = ::umask(077);
  const std::string other = (dir.path() / "strict" / "ctrl.sock").string();
  server.emplace(registry, other);
  ::umask(strict);
  CHECK(mode_of((dir.path() / "strict").string()) == 0755);
}

TEST_CASE("server: a second server on a live socket throws and leaves the first one working") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server first(registry, dir.socket());
  try {
    Server second(registry, dir.socket());
    FAIL("a second server started on a live socket");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Contains(dir.socket()) && Contains("another daemon"));
  }
  REQUIRE(std::filesystem::exists(dir.socket()));
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::get, kEcho, 1, bytes("first")));
  const auto reply = peer.read_frame(&first);
  REQUIRE(reply);
  CHECK(reply->payload == bytes("first"));
}

TEST_CASE("server: a stale socket file is replaced, anything else at the path is refused") {
  TempDir dir;
  Registry registry = make_test_registry();
  make_stale_socket(dir.socket());
  {
    Server server(registry, dir.socket());
    RawPeer peer(dir.socket());
    peer.send(make_frame(Kind::get, kEcho, 1, bytes("new")));
    const auto reply = peer.read_frame(&server);
    REQUIRE(reply);
    CHECK(reply->payload == bytes("new"));
  }
  std::ofstream(dir.socket()) << "not a socket";
  CHECK_THROWS_WITH(Server(registry, dir.socket()), Contains("not a socket"));
  CHECK(std::filesystem::is_regular_file(dir.socket()));
}

TEST_CASE("server: shutdown unlinks its own socket but not a successor's") {
  TempDir dir;
  Registry registry = make_test_registry();
  std::optional<Server> server;
  server.emplace(registry, dir.socket());
  REQUIRE(std::filesystem::exists(dir.socket()));
  server.reset();
  CHECK_FALSE(std::filesystem::exists(dir.socket()));

  server.emplace(registry, dir.socket());
  std::filesystem::remove(dir.socket());
  make_stale_socket(dir.socket());  // another daemon's file now
  server.reset();
  CHECK(std::filesystem::exists(dir.socket()));
}

TEST_CASE("server: twenty clients at once are all answered") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  constexpr int kClients = 20;
  constexpr int kCalls = 10;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client;
      if (client.connect(dir.socket(), 5000) != 0) return;
      for (int i = 0; i < kCalls; ++i) {
        const std::string text = "client " + std::to_string(c) + " call " + std::to_string(i);
        const CallReply reply = client.get(kEcho, text.data(), static_cast<uint32_t>(text.size()));
        if (reply.status == 0 && std::string(reply.payload.begin(), reply.payload.end()) == text) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == kClients * kCalls);
  polled.stop();
  CHECK(polled.server().counters().accepted == kClients);
  CHECK(polled.server().counters().requests == uint64_t{kClients} * kCalls);
}

TEST_CASE("server: clients that disconnect mid-frame do not disturb it") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  {
    RawPeer half_header(dir.socket());
    const auto frame = make_frame(Kind::get, kEcho, 1, bytes("abc"));
    half_header.send({frame.begin(), frame.begin() + 10});
    server.poll();
  }
  {
    RawPeer half_payload(dir.socket());
    const auto frame = make_frame(Kind::get, kEcho, 1, std::vector<unsigned char>(1000, 'p'));
    half_payload.send({frame.begin(), frame.begin() + 500});
    server.poll();
  }
  for (int i = 0; i < 20; ++i) server.poll();
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::get, kEcho, 2, bytes("alive")));
  const auto reply = peer.read_frame(&server);
  REQUIRE(reply);
  CHECK(reply->payload == bytes("alive"));
  CHECK(server.counters().accepted == 3);
  CHECK(server.counters().requests == 1);
}

TEST_CASE("server: a peer that half-closes still gets its reply") {
  TempDir dir;
  Registry registry = make_test_registry();
  Server server(registry, dir.socket());
  RawPeer peer(dir.socket());
  peer.send(make_frame(Kind::get, kEcho, 4, bytes("bye")));
  REQUIRE(::shutdown(peer.fd(), SHUT_WR) == 0);
  const auto reply = peer.read_frame(&server);
  REQUIRE(reply);
  CHECK(reply->payload == bytes("bye"));
  CHECK(peer.closed_by_server(&server));
}

TEST_CASE("server: a peer that stops reading is dropped without holding up the others") {
  TempDir dir;
  Registry registry = make_test_registry();
  PolledServer polled(registry, dir.socket());
  constexpr int kRequests = 12;
  constexpr uint32_t kReplySize = 1u << 20;
  RawPeer hog(dir.socket());
  std::vector<unsigned char> batch;
  for (int i = 0; i < kRequests; ++i) {
    const auto frame = make_frame(Kind::get, kBig, static_cast<uint32_t>(i), u32_payload(kReplySize));
    batch.insert(batch.end(), frame.begin(), frame.end());
  }
  hog.send(batch);
  std::this_thread::sleep_for(100ms);

  Client client;
  REQUIRE(client.connect(dir.socket(), 2000) == 0);
  const CallReply reply = client.get(kEcho, "me too", 6);
  CHECK(reply.status == 0);

  // The hog finds only what the kernel buffered before the server gave up on it, then the end.
  size_t received = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    unsigned char buf[65536];
    const ssize_t n = ::recv(hog.fd(), buf, sizeof(buf), 0);
    if (n > 0) {
      received += static_cast<size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      closed = true;
    } else {
      std::this_thread::sleep_for(1ms);
    }
  }
  CHECK(closed);
  CHECK(received < size_t{kRequests} * kReplySize);
  CHECK(client.get(kEcho, "after", 5).status == 0);
}
