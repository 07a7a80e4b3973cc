#include "reply.hpp"

#include <linux/ip_vs.h>

#include <cstdio>
#include <iterator>

#include "../ipvs_log.hpp"

namespace fulcrum::ipvs::sockopt {

int malformed(const ctrl::Request& in, ctrl::Response& out, int err, const std::string& text) {
  FLOG(g_log, WARNING, "peer pid %d uid %u: %s: %s", in.peer.pid, in.peer.uid, optname(in.id, in.kind).c_str(),
       text.c_str());
  return fail(out, err, text);
}

std::string optname(uint32_t id, ctrl::Kind kind) {
  static const char* const kSet[] = {"NONE",     "INSERT",   "ADD",         "EDIT",        "DEL",    "FLUSH",
                                     "LIST",     "ADDDEST",  "DELDEST",     "EDITDEST",    "TIMEOUT", "STARTDAEMON",
                                     "STOPDAEMON", "RESTORE", "SAVE",       "ZERO"};
  static const char* const kGet[] = {"VERSION", "INFO", "SERVICES", "SERVICE", "DESTS", "DEST", "TIMEOUT", "DAEMON"};
  const uint32_t n = id - IP_VS_BASE_CTL;
  const char* name = nullptr;
  if (id >= IP_VS_BASE_CTL && kind == ctrl::Kind::set && n < std::size(kSet)) name = kSet[n];
  if (id >= IP_VS_BASE_CTL && kind == ctrl::Kind::get && n < std::size(kGet)) name = kGet[n];
  const std::string num = std::to_string(id);
  if (name == nullptr && id > ctrl::ids::kIpvsSockoptLast) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "ipvs message 0x%x", id);
    return hex;
  }
  if (name == nullptr) return "sockopt " + num;
  return std::string(kind == ctrl::Kind::set ? "IP_VS_SO_SET_" : "IP_VS_SO_GET_") + name + " (" + num + ")";
}

}  // namespace fulcrum::ipvs::sockopt
