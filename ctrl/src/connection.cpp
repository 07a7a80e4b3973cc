#include "connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::ctrl {
namespace {

constexpr size_t kKeepCapacity = size_t{64} * 1024;

}  // namespace

void Connection::queue_reply(const FrameHeader& request, int status, std::span<const unsigned char> payload) {
  const FrameHeader reply{kFrameMagic, kProtocolVersion, static_cast<uint16_t>(Kind::reply),   request.id,
                          request.seq, status,           static_cast<uint32_t>(payload.size())};
  const auto* bytes = reinterpret_cast<const unsigned char*>(&reply);
  out_.insert(out_.end(), bytes, bytes + sizeof(reply));
  out_.insert(out_.end(), payload.begin(), payload.end());
}

Connection::Flush Connection::flush(int& error) {
  while (pending() > 0) {
    const ssize_t n = ::send(fd_.get(), out_.data() + out_pos_, pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Drop what was sent, so that a peer reading slowly but steadily does not grow the buffer forever.
      if (out_pos_ > kKeepCapacity && out_pos_ * 2 > out_.size()) {
        out_.erase(out_.begin(), out_.begin() + static_cast<ptrdiff_t>(out_pos_));
        out_pos_ = 0;
      }
      return Flush::blocked;
    }
    error = errno;
    return Flush::failed;
  }
  out_pos_ = 0;
  if (out_.capacity() > kKeepCapacity) {
    std::vector<unsigned char>().swap(out_);
  } else {
    out_.clear();
  }
  return Flush::done;
}

}  // namespace fulcrum::ctrl
