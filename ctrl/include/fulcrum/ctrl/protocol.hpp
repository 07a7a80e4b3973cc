#pragma once
// The control socket's wire format, shared by the daemon, the tools and the preload library.
// Everything here is plain data: tools include it without any dataplane code.
//
// A frame is a FrameHeader followed by `len` payload bytes, in host byte order (the socket is local).
// Requests carry kind get or set; every request gets exactly one reply frame with the same id and seq.
// A reply's status is 0 or a positive errno value; on error the payload may hold a message for the operator.

#include <cstdint>

namespace fulcrum::ctrl {

constexpr uint32_t kFrameMagic = 0x52434c46;  // "FLCR" in memory
constexpr uint16_t kProtocolVersion = 1;
constexpr uint32_t kMaxPayload = 4u << 20;  // big enough for 40k real servers in one GET_DESTS
constexpr const char* kDefaultSocketPath = "/run/fulcrum/ctrl.sock";
constexpr const char* kSocketEnv = "FULCRUM_CTRL_SOCKET";

enum class Kind : uint16_t { get = 1, set = 2, reply = 3 };

struct FrameHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t kind;   // Kind
  uint32_t id;     // message id (see id ranges below)
  uint32_t seq;    // chosen by the client, echoed in the reply
  int32_t status;  // replies: 0 or errno
  uint32_t len;    // payload bytes that follow
};
static_assert(sizeof(FrameHeader) == 24);

// Message id ranges. Each layer registers its range with the daemon's registry; overlaps fail at start.
namespace ids {
// The kernel's IPVS sockopt numbers, used as they are (IP_VS_BASE_CTL .. IP_VS_SO_GET_MAX).
constexpr uint32_t kIpvsSockoptFirst = 1152;
constexpr uint32_t kIpvsSockoptLast = 1167;
constexpr uint32_t kCoreFirst = 0x10000;
constexpr uint32_t kCoreLast = 0x1ffff;
constexpr uint32_t kNetifFirst = 0x20000;
constexpr uint32_t kNetifLast = 0x2ffff;
constexpr uint32_t kInetFirst = 0x30000;
constexpr uint32_t kInetLast = 0x3ffff;
constexpr uint32_t kIpvsFirst = 0x40000;
constexpr uint32_t kIpvsLast = 0x4ffff;
}  // namespace ids

}  // namespace fulcrum::ctrl
