#pragma once
// The control socket server: a non-blocking unix stream socket polled by a job on the master lcore.
// It frames requests, authorises peers (uid 0 or CAP_NET_ADMIN, from SO_PEERCRED), and hands complete
// requests to the Registry. Malformed input gets an error reply and a log line; a peer that breaks framing
// (bad magic, a length over kMaxPayload) is disconnected, since the stream can not be resynchronised.

#include <memory>
#include <string>

#include "fulcrum/ctrl/registry.hpp"

namespace fulcrum::ctrl {

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t requests = 0;         // frames answered, error replies included
  uint64_t errors = 0;           // replies with a non-zero status
  uint64_t unauthorised = 0;     // peers refused with EPERM
  uint64_t protocol_errors = 0;  // bad magic, bad version, a non-request kind, oversize length
};

class Server {
 public:
  // Creates the socket (and its directory), mode 0600. Throws std::runtime_error naming the path on failure.
  Server(Registry& registry, std::string path);
  ~Server();  // closes every connection and unlinks the socket
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts, reads and answers whatever is ready without blocking. Returns the number of requests served.
  unsigned poll();
  const std::string& path() const { return path_; }
  const ServerCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace fulcrum::ctrl
