#pragma once
// One direction of a flow as its packets carry it: what the connection table is looked up by. Addresses take
// 16 bytes whatever the family (IPv4 in the first 4, the rest zero), so one compare serves both families.

#include <cstdint>
#include <cstring>

namespace fulcrum::ipvs {

struct FlowKey {
  uint8_t saddr[16];
  uint8_t daddr[16];
  uint16_t sport;  // network order, as in the packet
  uint16_t dport;
  uint8_t family;  // 4 or 6
  uint8_t proto;   // IPPROTO_TCP, IPPROTO_UDP, ...
  uint8_t reserved[2];
};
static_assert(sizeof(FlowKey) == 40);

inline FlowKey make_flow_key4(uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be, uint16_t dport_be,
                              uint8_t proto) {
  FlowKey k{};
  std::memcpy(k.saddr, &saddr_be, 4);
  std::memcpy(k.daddr, &daddr_be, 4);
  k.sport = sport_be;
  k.dport = dport_be;
  k.family = 4;
  k.proto = proto;
  return k;
}

inline FlowKey make_flow_key6(const uint8_t* saddr, const uint8_t* daddr, uint16_t sport_be, uint16_t dport_be,
                              uint8_t proto) {
  FlowKey k{};
  std::memcpy(k.saddr, saddr, 16);
  std::memcpy(k.daddr, daddr, 16);
  k.sport = sport_be;
  k.dport = dport_be;
  k.family = 6;
  k.proto = proto;
  return k;
}

}  // namespace fulcrum::ipvs
