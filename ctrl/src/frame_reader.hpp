#pragma once
// Splits a byte stream into frames. Pure: the server feeds it whatever read(2) returned, in any pieces.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl {

class FrameReader {
 public:
  enum class Verdict {
    request,      // a get or set frame with its whole payload
    bad_version,  // answered EPROTONOSUPPORT; its payload is skipped, the stream stays in sync
    bad_kind,     // a reply (or unknown kind) sent as a request; payload skipped
    bad_magic,    // the stream can not be resynchronised: nothing more is read
    oversize,     // len > kMaxPayload: likewise
  };
  struct Event {
    Verdict verdict;
    FrameHeader header;
    std::span<const unsigned char> payload;  // request only; valid until the next call to next()
  };

  // Consumes bytes from `data` up to and including the next event, which it stores in `event`.
  // Returns the number of bytes consumed; after bad_magic or oversize it consumes nothing more.
  size_t next(std::span<const unsigned char> data, std::optional<Event>& event);

  // True once a header has arrived whose payload is still incomplete (or being skipped).
  bool in_payload() const { return state_ == State::payload || state_ == State::skip; }
  // The latest complete header, for answering a peer before its payload has arrived.
  const FrameHeader& header() const { return header_; }
  // True when bytes of an unfinished frame are held: a disconnect now cuts a frame short.
  bool mid_frame() const { return header_have_ > 0 || in_payload(); }
  bool broken() const { return state_ == State::broken; }

 private:
  enum class State { header, payload, skip, broken };
  std::optional<Event> on_header();

  State state_ = State::header;
  FrameHeader header_{};
  unsigned char header_bytes_[sizeof(FrameHeader)]{};
  size_t header_have_ = 0;
  uint32_t remaining_ = 0;  // payload bytes still to collect or skip
  std::vector<unsigned char> payload_;
};

}  // namespace fulcrum::ctrl
