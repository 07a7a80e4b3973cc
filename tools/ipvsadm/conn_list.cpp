// The connection listing (see conn_list.hpp).

#include "conn_list.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "address.hpp"
#include "listing.hpp"
#include "wire.hpp"

namespace fulcrum::ipvsadm {
namespace {

// The kernel's names in /proc/net/ip_vs_conn.
const char* proto_label(uint8_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "TCP";
    case kProtoUdp:
      return "UDP";
    case kProtoSctp:
      return "SCTP";
    default:
      return "IP";
  }
}

std::string endpoint(uint8_t family, const uint8_t* addr, uint16_t port_be, uint8_t protocol, unsigned format) {
  return addrport_text(decode_addr(family, addr), ntohs(port_be), protocol, (format & fmt_numeric) != 0);
}

}  // namespace

std::string format_conn_title(unsigned format, bool fullnat_conn) {
  char buf[256];
  std::string out = "IPVS connection entries\n";
  std::string cols = "pro expire ";
  std::snprintf(buf, sizeof buf, "%-11s %-18s %-18s ", "state", "source", "virtual");
  cols += buf;
  if (fullnat_conn) {
    std::snprintf(buf, sizeof buf, "%-18s ", "local");
    cols += buf;
  }
  if (format & fmt_persistentconn) {
    std::snprintf(buf, sizeof buf, "%-18s %-16s %s", "destination", "pe name", "pe_data");
    cols += buf;
  } else {
    cols += "destination";
  }
  return out + cols + "\n";
}

std::string format_conn(const ctrl::ipvs_conn::ConnEntry& c, unsigned format, bool fullnat_conn) {
  const unsigned secs = c.expires_ms / 1000;
  char expire[16];
  std::snprintf(expire, sizeof expire, "%02u:%02u", secs / 60, secs % 60);
  const std::string state(c.state_name, strnlen(c.state_name, sizeof c.state_name));
  const std::string src = endpoint(c.family, c.caddr, c.cport, c.protocol, format);
  const std::string vip = endpoint(c.family, c.vaddr, c.vport, c.protocol, format);
  const std::string dst = endpoint(c.family, c.daddr, c.dport, c.protocol, format);
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-3s %-6s %-11s %-18s %-18s ", proto_label(c.protocol), expire, state.c_str(),
                src.c_str(), vip.c_str());
  std::string out = buf;
  if (fullnat_conn) {
    // SNAT's connections leave from a pool address and local port too.
    const bool fullnat = c.forward == fwd_fullnat || c.forward == fwd_snat;
    const std::string local = fullnat ? endpoint(c.family, c.laddr, c.lport, c.protocol, format) : "-";
    std::snprintf(buf, sizeof buf, "%-18s ", local.c_str());
    out += buf;
  }
  return out + dst + "\n";
}

}  // namespace fulcrum::ipvsadm
