#pragma once
// Between ipvsadm's model and fulcrumd's messages: the extension records of proto/ipvs.hpp (both families,
// 64-bit counters) and the kernel's sockopt structs of <linux/ip_vs.h> that the rest still travels in
// (GET_INFO, the timeouts, the sync daemon, FLUSH). Pure functions, so that the tests can check every byte.

#include <linux/ip_vs.h>

#include <cstdint>

#include "command.hpp"
#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "model.hpp"

namespace fulcrum::ipvsadm {

namespace msg = ctrl::ipvs_msg;

msg::ServiceKey encode_key(uint16_t protocol, const Addr& addr, uint16_t port);
msg::ServiceKey encode_key(const Command& cmd);
msg::ServiceKey encode_key(const Service& svc);

// -A/-E: every field replaces the service's, as the kernel's SET_EDIT does (so -E without -b/--fullnat drops
// a FullNAT binding and -E without --no-toa turns TOA back on, as -E without -p drops persistence).
msg::ServiceReq encode_service_req(const Command& cmd);
// -a/-e/-d.
msg::DestReq encode_dest_req(const Command& cmd);
msg::ZeroReq encode_zero_req(const Command& cmd);
msg::LaddrReq encode_laddr_req(const Command& cmd);

Service decode_service(const msg::ServiceEntry& e);
Dest decode_dest(const msg::DestEntry& e);
Addr decode_addr(uint8_t family, const uint8_t* bytes);

ip_vs_timeout_user encode_timeout(const Command& cmd);
ip_vs_daemon_user encode_daemon(const Command& cmd);

}  // namespace fulcrum::ipvsadm
