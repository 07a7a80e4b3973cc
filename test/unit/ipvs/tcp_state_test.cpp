#include <catch2/catch.hpp>

#include "conn/tcp_state.hpp"

using fulcrum::ipvs::TcpDirection;
using fulcrum::ipvs::TcpState;
using fulcrum::ipvs::TcpTimeouts;
using fulcrum::ipvs::tcp_next_state;
using fulcrum::ipvs::tcp_state_name;

namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// Feeds a sequence of (direction, flags) and returns the state names seen after each segment.
std::vector<std::string> walk(std::initializer_list<std::pair<TcpDirection, uint8_t>> segments) {
  TcpState s = TcpState::none;
  std::vector<std::string> out;
  for (const auto& [dir, flags] : segments) {
    s = tcp_next_state(s, dir, flags);
    out.emplace_back(tcp_state_name(s));
  }
  return out;
}

constexpr auto in = TcpDirection::input;
constexpr auto out = TcpDirection::output;
constexpr auto in_only = TcpDirection::input_only;

}  // namespace

TEST_CASE("a full NAT/FullNAT lifecycle, client closing first") {
  CHECK(walk({{in, kSyn},
              {out, kSyn | kAck},
              {in, kAck},
              {in, kPsh | kAck},
              {in, kFin | kAck},
              {out, kAck},
              {out, kFin | kAck},
              {in, kAck}}) ==
        std::vector<std::string>{"SYN_RECV", "SYN_RECV", "ESTABLISHED", "ESTABLISHED", "CLOSE_WAIT", "CLOSE_WAIT",
                                 "TIME_WAIT", "TIME_WAIT"});
}

TEST_CASE("the real server closing first goes through FIN_WAIT") {
  CHECK(walk({{in, kSyn}, {out, kSyn | kAck}, {in, kAck}, {out, kFin | kAck}, {in, kAck}, {in, kFin | kAck}}) ==
        std::vector<std::string>{"SYN_RECV", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "FIN_WAIT", "TIME_WAIT"});
}

TEST_CASE("DR/TUN see the client only: its FIN leads to FIN_WAIT, not CLOSE_WAIT") {
  CHECK(walk({{in_only, kSyn}, {in_only, kAck}, {in_only, kFin | kAck}, {in_only, kAck}}) ==
        std::vector<std::string>{"SYN_RECV", "ESTABLISHED", "FIN_WAIT", "FIN_WAIT"});
}

TEST_CASE("RST closes, and wins over other flags") {
  CHECK(walk({{in, kSyn}, {out, kSyn | kAck}, {in, kAck}, {out, kRst | kAck}}).back() == "CLOSE");
  CHECK(tcp_next_state(TcpState::established, in, kRst | kSyn | kFin) == TcpState::close);
  CHECK(tcp_next_state(TcpState::established, in, kSyn | kFin) == TcpState::established);  // SYN over FIN
}

TEST_CASE("a bare ACK opens nothing, and flagless segments change nothing") {
  CHECK(tcp_next_state(TcpState::none, in, kAck) == TcpState::close);
  CHECK(tcp_next_state(TcpState::established, in, kPsh) == TcpState::established);
  CHECK(tcp_next_state(TcpState::syn_recv, out, 0) == TcpState::syn_recv);
}

TEST_CASE("the kernel's default timeouts") {
  const TcpTimeouts t;
  CHECK(t.of(TcpState::established) == 900);
  CHECK(t.of(TcpState::syn_recv) == 60);
  CHECK(t.of(TcpState::fin_wait) == 120);
  CHECK(t.of(TcpState::time_wait) == 120);
  CHECK(t.of(TcpState::close) == 10);
  CHECK(t.of(TcpState::close_wait) == 60);
  CHECK(t.of(TcpState::last_ack) == 30);
}

TEST_CASE("an out-of-range state closes instead of indexing past the table") {
  CHECK(tcp_next_state(static_cast<TcpState>(200), in, kAck) == TcpState::close);
  CHECK(std::string(tcp_state_name(static_cast<TcpState>(200))) == "ERR!");
}
