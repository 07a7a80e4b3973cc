#include "frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace fulcrum::ctrl {
namespace {

// A connection that once carried a 4 MiB frame should not pin that memory while it idles.
constexpr size_t kKeepCapacity = size_t{64} * 1024;

}  // namespace

size_t FrameReader::next(std::span<const unsigned char> data, std::optional<Event>& event) {
  event.reset();
  size_t used = 0;
  while (used < data.size() && !event && state_ != State::broken) {
    const size_t avail = data.size() - used;
    switch (state_) {
      case State::header: {
        const size_t take = std::min(avail, sizeof(header_bytes_) - header_have_);
        std::memcpy(header_bytes_ + header_have_, data.data() + used, take);
        header_have_ += take;
        used += take;
        if (header_have_ == sizeof(header_bytes_)) event = on_header();
        break;
      }
      case State::payload: {
        const size_t take = std::min<size_t>(avail, remaining_);
        payload_.insert(payload_.end(), data.begin() + static_cast<ptrdiff_t>(used),
                        data.begin() + static_cast<ptrdiff_t>(used + take));
        used += take;
        remaining_ -= static_cast<uint32_t>(take);
        if (remaining_ == 0) {
          state_ = State::header;
          event = Event{Verdict::request, header_, payload_};
        }
        break;
      }
      case State::skip: {
        const size_t take = std::min<size_t>(avail, remaining_);
        used += take;
        remaining_ -= static_cast<uint32_t>(take);
        if (remaining_ == 0) state_ = State::header;
        break;
      }
      case State::broken:
        break;
    }
  }
  return used;
}

std::optional<FrameReader::Event> FrameReader::on_header() {
  std::memcpy(&header_, header_bytes_, sizeof(header_));
  header_have_ = 0;
  if (payload_.capacity() > kKeepCapacity) {
    std::vector<unsigned char>().swap(payload_);
  } else {
    payload_.clear();
  }

  // Without the magic nothing in the header can be trusted, the length included.
  if (header_.magic != kFrameMagic) {
    state_ = State::broken;
    return Event{Verdict::bad_magic, header_, {}};
  }
  if (header_.len > kMaxPayload) {
    state_ = State::broken;
    return Event{Verdict::oversize, header_, {}};
  }
  remaining_ = header_.len;
  const bool is_request =
      header_.kind == static_cast<uint16_t>(Kind::get) || header_.kind == static_cast<uint16_t>(Kind::set);
  if (header_.version != kProtocolVersion || !is_request) {
    state_ = remaining_ > 0 ? State::skip : State::header;
    return Event{header_.version != kProtocolVersion ? Verdict::bad_version : Verdict::bad_kind, header_, {}};
  }
  if (remaining_ == 0) return Event{Verdict::request, header_, {}};
  state_ = State::payload;
  return std::nullopt;
}

}  // namespace fulcrum::ctrl
