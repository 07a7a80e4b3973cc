#include "tcp_state.hpp"

namespace fulcrum::ipvs {
namespace {

constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kAck = 0x10;

using S = TcpState;
constexpr S sNO = S::none, sES = S::established, sSS = S::syn_sent, sSR = S::syn_recv, sFW = S::fin_wait,
            sTW = S::time_wait, sCL = S::close, sCW = S::close_wait, sLA = S::last_ack, sLI = S::listen,
            sSA = S::synack;

// [direction][event][current state]; events: syn, fin, ack, rst. Columns in TcpState order.
constexpr S kNext[3][4][kTcpStates] = {
    {
        // input: the client's segments
        {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},  // syn
        {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},  // fin
        {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},  // ack
        {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR},  // rst
    },
    {
        // output: the real server's segments
        {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
        {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
        {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
        {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
    },
    {
        // input only: the client's segments when the replies bypass the balancer (DR, TUN)
        {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
        {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
        {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
        {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
    },
};

}  // namespace

TcpState tcp_next_state(TcpState current, TcpDirection dir, uint8_t tcp_flags) {
  int event;
  if (tcp_flags & kRst) {
    event = 3;
  } else if (tcp_flags & kSyn) {
    event = 0;
  } else if (tcp_flags & kFin) {
    event = 1;
  } else if (tcp_flags & kAck) {
    event = 2;
  } else {
    return current;
  }
  const unsigned s = static_cast<unsigned>(current);
  return s < kTcpStates ? kNext[static_cast<unsigned>(dir)][event][s] : TcpState::close;
}

const char* tcp_state_name(TcpState s) {
  static constexpr const char* kNames[kTcpStates] = {"NONE",     "ESTABLISHED", "SYN_SENT",   "SYN_RECV",
                                                     "FIN_WAIT", "TIME_WAIT",   "CLOSE",      "CLOSE_WAIT",
                                                     "LAST_ACK", "LISTEN",      "SYNACK"};
  const unsigned i = static_cast<unsigned>(s);
  return i < kTcpStates ? kNames[i] : "ERR!";
}

}  // namespace fulcrum::ipvs
