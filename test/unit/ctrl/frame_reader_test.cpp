#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "ctrl_test_support.hpp"
#include "frame_reader.hpp"

using namespace fulcrum::ctrl;
using namespace fulcrum::ctrl::test;
using Verdict = FrameReader::Verdict;

namespace {

struct Seen {
  Verdict verdict;
  uint32_t seq;
  std::vector<unsigned char> payload;
};

// Feeds `stream` in pieces of `step` bytes and records every event.
std::vector<Seen> feed(FrameReader& reader, const std::vector<unsigned char>& stream, size_t step) {
  std::vector<Seen> seen;
  for (size_t at = 0; at < stream.size(); at += step) {
    std::span<const unsigned char> piece(stream.data() + at, std::min(step, stream.size() - at));
    while (!piece.empty()) {
      std::optional<FrameReader::Event> event;
      const size_t used = reader.next(piece, event);
      piece = piece.subspan(used);
      if (event) seen.push_back({event->verdict, event->header.seq, {event->payload.begin(), event->payload.end()}});
      if (used == 0 && !event) return seen;
    }
  }
  return seen;
}

std::vector<unsigned char> join(std::initializer_list<std::vector<unsigned char>> parts) {
  std::vector<unsigned char> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("frame reader: frames come out whole however the stream is cut") {
  const auto stream = join({make_frame(Kind::get, 1, 1, bytes("alpha")), make_frame(Kind::set, 2, 2),
                            make_frame(Kind::get, 3, 3, std::vector<unsigned char>(3000, 'z'))});
  for (size_t step : {size_t{1}, size_t{7}, size_t{24}, size_t{25}, size_t{4096}, stream.size()}) {
    INFO("step " << step);
    FrameReader reader;
    const auto seen = feed(reader, stream, step);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].verdict == Verdict::request);
    CHECK(seen[0].payload == bytes("alpha"));
    CHECK(seen[1].seq == 2);
    CHECK(seen[1].payload.empty());
    CHECK(seen[2].payload.size() == 3000);
    CHECK_FALSE(reader.mid_frame());
  }
}

TEST_CASE("frame reader: a wrong version or kind is reported once and its payload skipped") {
  const auto stream =
      join({make_frame(Kind::get, 1, 1, bytes("skipped-payload"), kFrameMagic, 7),
            make_frame(Kind::reply, 1, 2, bytes("also skipped")), make_frame(Kind::get, 1, 3, bytes("kept"))});
  for (size_t step : {size_t{1}, size_t{5}, stream.size()}) {
    FrameReader reader;
    const auto seen = feed(reader, stream, step);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].verdict == Verdict::bad_version);
    CHECK(seen[0].seq == 1);
    CHECK(seen[1].verdict == Verdict::bad_kind);
    CHECK(seen[2].verdict == Verdict::request);
    CHECK(seen[2].payload == bytes("kept"));
  }
}

TEST_CASE("frame reader: bad magic and oversize lengths stop the stream") {
  {
    FrameReader reader;
    const auto stream = join({make_frame(Kind::get, 1, 1, {}, 0x11111111), make_frame(Kind::get, 1, 2)});
    const auto seen = feed(reader, stream, stream.size());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].verdict == Verdict::bad_magic);
    CHECK(reader.broken());
  }
  {
    FrameReader reader;
    const auto stream = join({make_header_only(Kind::get, 1, 1, kMaxPayload + 1), make_frame(Kind::get, 1, 2)});
    const auto seen = feed(reader, stream, 3);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].verdict == Verdict::oversize);
  }
  {
    FrameReader reader;
    const auto seen = feed(reader, make_header_only(Kind::get, 1, 1, kMaxPayload), 24);
    CHECK(seen.empty());
    CHECK(reader.in_payload());
    CHECK(reader.header().len == kMaxPayload);
  }
}

TEST_CASE("frame reader: mid_frame tells a clean end from a cut one") {
  FrameReader reader;
  const auto frame = make_frame(Kind::get, 1, 1, bytes("abc"));
  CHECK_FALSE(reader.mid_frame());
  feed(reader, {frame.begin(), frame.begin() + 3}, 3);
  CHECK(reader.mid_frame());
  feed(reader, {frame.begin() + 3, frame.begin() + 25}, 22);
  CHECK(reader.mid_frame());
  const auto rest = feed(reader, {frame.begin() + 25, frame.end()}, 10);
  CHECK(rest.size() == 1);
  CHECK_FALSE(reader.mid_frame());
}
