#pragma once
// Neighbour Discovery messages (RFC 4861): checking NS and NA and their options, and writing the ones we send.
// Pure: unit tests feed it byte arrays.

#include <cstdint>
#include <cstring>
#include <optional>

#include <rte_ether.h>

namespace fulcrum::ipv6 {

constexpr uint8_t kIcmp6DestUnreach = 1;
constexpr uint8_t kIcmp6PacketTooBig = 2;
constexpr uint8_t kIcmp6TimeExceeded = 3;
constexpr uint8_t kIcmp6ParamProblem = 4;
constexpr uint8_t kIcmp6EchoRequest = 128;
constexpr uint8_t kIcmp6EchoReply = 129;
constexpr uint8_t kNdRouterSolicit = 133;
constexpr uint8_t kNdRouterAdvert = 134;
constexpr uint8_t kNdNeighSolicit = 135;
constexpr uint8_t kNdNeighAdvert = 136;
constexpr uint8_t kNdRedirect = 137;

constexpr uint8_t kOptSourceLla = 1;
constexpr uint8_t kOptTargetLla = 2;

constexpr uint32_t kNaRouter = 0x80000000u;
constexpr uint32_t kNaSolicited = 0x40000000u;
constexpr uint32_t kNaOverride = 0x20000000u;

// NS and NA share a layout: type, code, checksum, 4 bytes (NA flags), the target, then options. Packed: in
// a packet it sits wherever the headers before it put it.
struct __attribute__((packed)) NdMsg {
  uint8_t type;
  uint8_t code;
  uint16_t cksum;
  uint32_t flags;  // NA: kNa* in network order; NS: reserved
  uint8_t target[16];
};
static_assert(sizeof(NdMsg) == 24);

struct NdOptions {
  bool ok = false;
  std::optional<rte_ether_addr> lla;  // the source (NS) or target (NA) link-layer address
};

// Options of an NS (want kOptSourceLla) or NA (want kOptTargetLla) in `len` bytes after the fixed part.
// Every option needs a non-zero length that fits (RFC 4861 4.6).
inline NdOptions nd_options(const uint8_t* p, uint32_t len, uint8_t want) {
  NdOptions out;
  uint32_t off = 0;
  while (off < len) {
    if (off + 2 > len) return out;
    const uint32_t olen = static_cast<uint32_t>(p[off + 1]) * 8;
    if (olen == 0 || off + olen > len) return out;
    if (p[off] == want && olen >= 8) {
      rte_ether_addr mac;
      std::memcpy(mac.addr_bytes, p + off + 2, RTE_ETHER_ADDR_LEN);
      out.lla = mac;
    }
    off += olen;
  }
  out.ok = true;
  return out;
}

// Writes an NS or NA with one link-layer address option (32 bytes) into `out`; the checksum stays 0.
inline void nd_write(uint8_t* out, uint8_t type, uint32_t flags_host, const uint8_t* target, uint8_t opt,
                     const rte_ether_addr& mac) {
  auto* m = reinterpret_cast<NdMsg*>(out);
  m->type = type;
  m->code = 0;
  m->cksum = 0;
  m->flags = rte_cpu_to_be_32(flags_host);
  std::memcpy(m->target, target, 16);
  out[24] = opt;
  out[25] = 1;  // 8 bytes
  std::memcpy(out + 26, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
}
constexpr uint32_t kNdWithOptionLen = sizeof(NdMsg) + 8;

// ff02::1:ffXX:XXXX, the solicited-node group of `a`, and its Ethernet address 33:33:ff:XX:XX:XX.
inline void solicited_node(const uint8_t* a, uint8_t* group) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::memcpy(group, kPrefix, 13);
  std::memcpy(group + 13, a + 13, 3);
}

inline bool is_solicited_node(const uint8_t* a) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  return std::memcmp(a, kPrefix, 13) == 0;
}

constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

}  // namespace fulcrum::ipv6
