#pragma once
// Shared fixtures for the control socket tests: temp socket paths, a server polled from a thread, raw peers
// that write arbitrary bytes, and a registry with a few handlers of known behaviour.

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fulcrum/ctrl/protocol.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "fulcrum/ctrl/server.hpp"
#include "unique_fd.hpp"

namespace fulcrum::ctrl::test {

// Ids used by make_test_registry(), all in the "test" owner's range.
constexpr uint32_t kTestFirst = 0x10000;
constexpr uint32_t kTestLast = 0x1ffff;
constexpr uint32_t kEcho = kTestFirst + 2;      // get, 0..4096 bytes, echoed
constexpr uint32_t kFixed = kTestFirst + 3;     // set, exactly 8 bytes, replies empty
constexpr uint32_t kThrow = kTestFirst + 4;     // get, throws std::runtime_error("boom")
constexpr uint32_t kBig = kTestFirst + 5;       // get, 4 bytes: a little-endian size, replies that many bytes
constexpr uint32_t kNotFound = kTestFirst + 6;  // get, answers ENOENT with a message
constexpr uint32_t kSink = kTestFirst + 7;      // set, 0..kMaxPayload bytes of (i & 0xff); replies the size as uint32
constexpr uint32_t kUnassigned = kTestFirst + 99;

Registry make_test_registry();

// A unique directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string socket() const { return (path_ / "ctrl.sock").string(); }

 private:
  std::filesystem::path path_;
};

// A Server polled from its own thread, for tests that use the blocking Client.
class PolledServer {
 public:
  PolledServer(Registry& registry, const std::string& path);
  ~PolledServer();
  PolledServer(const PolledServer&) = delete;
  PolledServer& operator=(const PolledServer&) = delete;
  // Joins the polling thread; afterwards server() may be used from the test thread.
  void stop();
  Server& server() { return server_; }

 private:
  Server server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Frame {
  FrameHeader header{};
  std::vector<unsigned char> payload;
};

std::vector<unsigned char> make_frame(Kind kind, uint32_t id, uint32_t seq, std::vector<unsigned char> payload = {},
                                      uint32_t magic = kFrameMagic, uint16_t version = kProtocolVersion);
std::vector<unsigned char> make_header_only(Kind kind, uint32_t id, uint32_t seq, uint32_t len);
std::vector<unsigned char> bytes(const std::string& text);
std::string message_of(const Frame& frame);  // the NUL-terminated text in an error reply

// A connected non-blocking socket driven from the test thread, pumping `server` while it waits so that the
// exact interleaving of writes and server polls is under the test's control.
class RawPeer {
 public:
  explicit RawPeer(const std::string& path);
  int fd() const { return fd_.get(); }
  void send(const std::vector<unsigned char>& data);
  // Reads one frame, calling server->poll() (when given) between attempts. nullopt on EOF or timeout.
  std::optional<Frame> read_frame(Server* server, int timeout_ms = 2000);
  // True when the server hung up: recv sees EOF or ECONNRESET within the timeout (pending replies are discarded).
  bool closed_by_server(Server* server, int timeout_ms = 2000);
  // True when nothing arrives within the time (and the connection stays open).
  bool silent_for(Server* server, int ms);
  void close() { fd_.reset(); }

 private:
  // 1 data, 0 nothing yet, -1 EOF/error
  int fill(Server* server, size_t want, int timeout_ms);
  UniqueFd fd_;
  std::vector<unsigned char> in_;
};

}  // namespace fulcrum::ctrl::test
