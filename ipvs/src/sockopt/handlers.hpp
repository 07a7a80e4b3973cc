#pragma once
// Each file of this folder registers one group of handlers; register.cpp calls them all.

#include "reply.hpp"

namespace fulcrum::ipvs::sockopt {

inline constexpr const char* kOwner = "ipvs";

// The kernel's commands (ids 1152-1167).
void register_set_service(ctrl::Registry& r, Ctx c);   // SET_ADD, SET_EDIT, SET_DEL, SET_ZERO, SET_FLUSH
void register_set_dest(ctrl::Registry& r, Ctx c);      // SET_ADDDEST, SET_EDITDEST, SET_DELDEST
void register_timeouts(ctrl::Registry& r, Ctx c);      // SET_TIMEOUT, GET_TIMEOUT
void register_sync_daemon(ctrl::Registry& r);          // SET_STARTDAEMON, SET_STOPDAEMON, GET_DAEMON
void register_get_info(ctrl::Registry& r, Ctx c);      // GET_VERSION, GET_INFO
void register_get_services(ctrl::Registry& r, Ctx c);  // GET_SERVICES, GET_SERVICE, GET_DESTS
void register_unused(ctrl::Registry& r);               // the numbers in the range that are no command

// The extension messages (fulcrum/ctrl/proto/ipvs.hpp).
void register_ext_services(ctrl::Registry& r, Ctx c);
void register_ext_dests(ctrl::Registry& r, Ctx c);
void register_ext_laddrs(ctrl::Registry& r, Ctx c);
void register_ext_bindings(ctrl::Registry& r, Ctx c);  // kGetVipBindings
void register_ext_snat(ctrl::Registry& r, Ctx c);      // kGetSnatRules

}  // namespace fulcrum::ipvs::sockopt
