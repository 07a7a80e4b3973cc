#pragma once
// A small blocking client for the control socket, shared by dpip, ipvsadm and the preload library.
// No exceptions and no global state, so that it is safe inside a preloaded library.

#include <cstdint>
#include <string>
#include <vector>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl {

struct CallReply {
  int status = 0;  // 0, a positive errno from the daemon, or a local errno (ECONNREFUSED, ETIMEDOUT, EPROTO, ...)
  std::vector<unsigned char> payload;
  // For errors: the daemon's message when it sent one, else strerror-like text about the transport.
  std::string error_text() const;
};

class Client {
 public:
  Client() = default;
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The socket path: $FULCRUM_CTRL_SOCKET if set, else kDefaultSocketPath.
  static std::string default_path();
  // Returns 0 or a positive errno. The fd is close-on-exec and non-blocking. timeout_ms bounds the connect
  // and then each call(); a negative value waits forever.
  int connect(const std::string& path, int timeout_ms = 5000);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close();

  // One request, one reply. Transport failures close the connection.
  CallReply call(Kind kind, uint32_t id, const void* payload, uint32_t len);
  CallReply get(uint32_t id, const void* payload = nullptr, uint32_t len = 0) { return call(Kind::get, id, payload, len); }
  CallReply set(uint32_t id, const void* payload = nullptr, uint32_t len = 0) { return call(Kind::set, id, payload, len); }

 private:
  int fd_ = -1;
  int timeout_ms_ = 5000;
  uint32_t seq_ = 0;
};

}  // namespace fulcrum::ctrl
