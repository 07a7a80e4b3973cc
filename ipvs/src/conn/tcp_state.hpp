#pragma once
// The IPVS TCP state machine, with the kernel's transitions and default timeouts, so that connections age
// exactly as an LVS operator expects (`ipvsadm -lnc` states, `ipvsadm --set tcp tcpfin udp`).
//
// The balancer sees both directions in NAT and FullNAT (input from the client, output from the real
// server) but only the client's side in DR and TUN ("input only"), so the table has three parts.

#include <array>
#include <cstdint>

namespace fulcrum::ipvs {

enum class TcpState : uint8_t {
  none = 0,
  established,
  syn_sent,
  syn_recv,
  fin_wait,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  synack,
};
constexpr unsigned kTcpStates = 11;

// Which packets of a connection the balancer sees, and which way this one goes.
enum class TcpDirection : uint8_t { input = 0, output = 1, input_only = 2 };

// The state after a segment with `tcp_flags` (the TCP header's flags byte) in `dir`; segments with none of
// RST, SYN, FIN, ACK leave it unchanged. RST wins over SYN, SYN over FIN, FIN over ACK, as in the kernel.
TcpState tcp_next_state(TcpState current, TcpDirection dir, uint8_t tcp_flags);

// The state's name as ipvsadm prints it ("ESTABLISHED", "SYN_RECV", ...).
const char* tcp_state_name(TcpState s);

// Per-state timeouts in seconds. Defaults are the kernel's; `ipvsadm --set` changes established (tcp),
// fin_wait and time_wait (tcpfin) as the kernel does.
struct TcpTimeouts {
  std::array<uint32_t, kTcpStates> seconds = {
      2,        // none
      15 * 60,  // established
      2 * 60,   // syn_sent
      60,       // syn_recv
      2 * 60,   // fin_wait
      2 * 60,   // time_wait
      10,       // close
      60,       // close_wait
      30,       // last_ack
      2 * 60,   // listen
      2 * 60,   // synack
  };
  uint32_t of(TcpState s) const { return seconds[static_cast<unsigned>(s)]; }
};

constexpr uint32_t kUdpDefaultTimeoutS = 5 * 60;

}  // namespace fulcrum::ipvs
