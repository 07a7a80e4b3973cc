// Text forms of services and forwarding methods, for messages and the config.

#include "fulcrum/ipvs/service.hpp"

#include <arpa/inet.h>

namespace fulcrum::ipvs {

const char* protocol_name(uint8_t protocol) {
  switch (protocol) {
    case kProtoTcp: return "TCP";
    case kProtoUdp: return "UDP";
    case kProtoSctp: return "SCTP";
    default: return "proto?";
  }
}

std::string to_string(const ServiceKey& key) {
  if (key.family != Family::v4 && key.family != Family::v6) return std::string(protocol_name(key.protocol)) + " ?";
  DestId id{key.addr, key.port, key.family};
  return std::string(protocol_name(key.protocol)) + " " + to_string(id);
}

const char* to_string(ForwardMethod m) {
  switch (m) {
    case ForwardMethod::masq: return "nat";
    case ForwardMethod::tunnel: return "tun";
    case ForwardMethod::droute: return "dr";
    case ForwardMethod::fullnat: return "fullnat";
    case ForwardMethod::snat: return "snat";
  }
  return "?";
}

std::optional<ForwardMethod> forward_method_from_conn_flags(uint32_t conn_flags) {
  switch (conn_flags & 0x7) {  // IP_VS_CONN_F_FWD_MASK
    case 0: return ForwardMethod::masq;
    case 2: return ForwardMethod::tunnel;
    case 3: return ForwardMethod::droute;
    case 5: return ForwardMethod::fullnat;
    default: return std::nullopt;
  }
}

uint32_t default_netmask(Family f) { return f == Family::v4 ? 0xffffffffu : 128u; }

}  // namespace fulcrum::ipvs
