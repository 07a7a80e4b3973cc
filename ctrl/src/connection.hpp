#pragma once
// One accepted peer: its credentials, its partly read request and its not yet written replies.

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "frame_reader.hpp"
#include "fulcrum/ctrl/protocol.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "unique_fd.hpp"

namespace fulcrum::ctrl {

class Connection {
 public:
  Connection(UniqueFd fd, Peer peer, bool authorised) : fd_(std::move(fd)), peer_(peer), authorised_(authorised) {}

  int fd() const { return fd_.get(); }
  const Peer& peer() const { return peer_; }
  bool authorised() const { return authorised_; }
  FrameReader& reader() { return reader_; }

  // Appends one reply frame echoing the request's id and seq.
  void queue_reply(const FrameHeader& request, int status, std::span<const unsigned char> payload);
  size_t pending() const { return out_.size() - out_pos_; }

  enum class Flush { done, blocked, failed };
  // Writes what the socket takes without blocking. On failed, `error` holds the errno.
  Flush flush(int& error);

  // Set after a refused peer's EPERM, a framing error or the peer's EOF: answer what is queued, then hang up.
  bool hang_up_after_flush = false;
  bool drop = false;          // disconnect now, without writing what is queued
  uint32_t epoll_events = 0;  // what epoll currently watches for, to skip redundant epoll_ctl calls

 private:
  UniqueFd fd_;
  Peer peer_;
  bool authorised_;
  FrameReader reader_;
  std::vector<unsigned char> out_;
  size_t out_pos_ = 0;
};

}  // namespace fulcrum::ctrl
