#pragma once
// The daemon side of the control socket: each layer claims a range of message ids and registers a handler
// per (kind, id) with the request sizes it accepts. The registry checks a request's length before the
// handler sees a byte of it.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl {

struct Peer {
  int pid = -1;
  unsigned uid = 0;
  unsigned gid = 0;
};

struct Request {
  Kind kind;
  uint32_t id;
  std::span<const unsigned char> payload;
  Peer peer;
};

struct Response {
  std::vector<unsigned char> payload;
  // Helper for errors: sets the payload to a NUL-terminated message for the operator.
  void message(const std::string& text);
};

// Returns 0 or a positive errno.
using Handler = std::function<int(const Request&, Response&)>;

struct HandlerSpec {
  Kind kind = Kind::get;
  uint32_t id = 0;
  const char* name = "";
  uint32_t min_len = 0;  // request payload bounds, inclusive
  uint32_t max_len = 0;
  Handler handler;
};

class Registry {
 public:
  // Claims [first, last] for `owner`. Throws std::logic_error if it overlaps a claimed range.
  void claim(const std::string& owner, uint32_t first, uint32_t last);
  // Throws std::logic_error if the id lies outside every range that `owner` claimed, or is registered twice.
  void add(const std::string& owner, HandlerSpec spec);

  // Validates and runs a request: EOPNOTSUPP for an unknown (kind, id), EINVAL for a length outside the
  // declared bounds (with a message naming the expected and received sizes), else the handler's status.
  // A handler that throws is answered EIO with the exception's text; the daemon keeps running.
  int dispatch(const Request& request, Response& response) const;

  struct Range {
    std::string owner;
    uint32_t first;
    uint32_t last;
  };
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
  std::vector<HandlerSpec> handlers_;  // sorted by (id, kind) for binary search
};

}  // namespace fulcrum::ctrl
