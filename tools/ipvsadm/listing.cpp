// Stock ipvsadm 1.31's listing formats (see listing.hpp). The widths, the truncation of IPv4 names to the
// column and the order of the flags are what scripts that parse `ipvsadm -Ln` rely on.

#include "listing.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <numeric>

#include "address.hpp"

namespace fulcrum::ipvsadm {
namespace {

__attribute__((format(printf, 1, 2))) std::string fmt(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, format);
  std::vsnprintf(big.data(), big.size(), format, ap);
  va_end(ap);
  big.resize(static_cast<size_t>(n));
  return big;
}

unsigned long long ull(uint64_t v) {
  return static_cast<unsigned long long>(v);
}

const char* proto_label(uint16_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "TCP";
    case kProtoUdp:
      return "UDP";
    case kProtoSctp:
      return "SCTP";
    default:
      return "???";
  }
}

const char* proto_switch(uint16_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "-t";
    case kProtoUdp:
      return "-u";
    case kProtoSctp:
      return "--sctp-service";
    default:
      return "--xxx-service";
  }
}

// The Forward column. Stock ipvsadm knows only the kernel's four and prints "(null)" for FullNAT.
const char* forward_name(uint32_t forward) {
  switch (forward & 0x7) {
    case fwd_masq:
      return "Masq";
    case fwd_local:
      return "Local";
    case fwd_tunnel:
      return "Tunnel";
    case fwd_droute:
      return "Route";
    case fwd_fullnat:
      return "FullNat";
    default:
      return "(null)";
  }
}

// The switch that -R reads back: -b (FullNAT, DPVS's letter) where stock ipvsadm would print "(null)".
const char* forward_switch(uint32_t forward) {
  switch (forward & 0x7) {
    case fwd_masq:
      return "-m";
    case fwd_tunnel:
      return "-i";
    case fwd_local:
    case fwd_droute:
      return "-g";
    case fwd_fullnat:
      return "-b";
    default:
      return "(null)";
  }
}

std::string ipv4_mask_text(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// The persistence netmask differs from "one client address".
bool has_mask(const Service& svc) {
  return svc.addr.family == 6 ? svc.netmask != 128 : svc.netmask != 0xffffffff;
}

std::string mask_text(const Service& svc) {
  return svc.addr.family == 6 ? std::to_string(svc.netmask) : ipv4_mask_text(svc.netmask);
}

std::string service_name(const Service& svc, unsigned format) {
  const bool rule = (format & fmt_rule) != 0;
  if (svc.fwmark != 0) {
    if (rule) return fmt("-f %u", svc.fwmark) + (svc.addr.family == 6 ? " -6" : "");
    return fmt("FWM  %u", svc.fwmark) + (svc.addr.family == 6 ? " IPv6" : "");
  }
  const std::string vname = addrport_text(svc.addr, svc.port, svc.protocol, (format & fmt_numeric) != 0);
  if (rule) return std::string(proto_switch(svc.protocol)) + " " + vname;
  std::string name = fmt("%-4s %s", proto_label(svc.protocol), vname.c_str());
  // Stock ipvsadm cuts IPv4 services to the 33-character column (a long host name would push the rest).
  if (svc.addr.family != 6 && name.size() > 33) name.resize(33);
  return name;
}

std::string service_line(const Service& svc, const std::string& name, unsigned format) {
  std::string out;
  const std::string flags = sched_flags_text(svc.sched, svc.flags);
  if (format & fmt_rule) {
    out = fmt("-A %s -s %s", name.c_str(), svc.sched.c_str());
    if (svc.flags & svc_persistent) {
      out += fmt(" -p %u", svc.timeout);
      if (has_mask(svc)) out += " -M " + mask_text(svc);
    }
    if (svc.flags & svc_onepacket) out += " -o";
    // Stock prints " -b " even when no flag has a name; -R here would read a bare -b as --fullnat.
    if ((svc.flags & kSchedFlagMask) && !flags.empty()) out += " -b " + flags;
    if (svc.forward == fwd_fullnat) out += " --fullnat";
    if (svc.toa_off) out += " --no-toa";
  } else if (format & (fmt_stats | fmt_rate)) {
    out = fmt("%-33s", name.c_str());
    const Stats& s = svc.stats;
    if (format & fmt_stats) {
      for (uint64_t v : {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes}) out += format_largenum(v, format);
    } else {
      for (uint64_t v : {s.cps, s.inpps, s.outpps, s.inbps, s.outbps}) out += format_largenum(v, format);
    }
  } else {
    out = name + " " + svc.sched;
    if (svc.flags & kSchedFlagMask) out += " (" + flags + ")";
    if (svc.flags & svc_persistent) {
      out += fmt(" persistent %u", svc.timeout);
      if (has_mask(svc)) out += " mask " + mask_text(svc);
    }
    if (svc.flags & svc_onepacket) out += " ops";
  }
  return out + "\n";
}

std::string dest_line(const Service& svc, const std::string& svc_name, const Dest& d, unsigned format) {
  std::string dname = addrport_text(d.addr, d.port, svc.protocol, (format & fmt_numeric) != 0);
  if (!(format & fmt_rule) && svc.addr.family != 6 && dname.size() > 28) dname.resize(28);
  const char* dn = dname.c_str();
  const Stats& s = d.stats;
  if (format & fmt_rule) {
    std::string out = fmt("-a %s -r %s %s -w %d", svc_name.c_str(), dn, forward_switch(d.forward), d.weight);
    // What stock ipvsadm -Sn prints for a tunnelling server: IPIP is the only tunnel fulcrumd has.
    if ((d.forward & 0x7) == fwd_tunnel) out += " --tun-type ipip";
    return out + "\n";
  }
  if (format & fmt_stats) {
    std::string out = fmt("  -> %-28s", dn);
    for (uint64_t v : {s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes}) out += format_largenum(v, format);
    return out + "\n";
  }
  if (format & fmt_rate) {
    // Stock prints the per-second connection and packet rates of a real server unscaled.
    std::string out = fmt("  -> %-28s %8llu %8llu %8llu", dn, ull(s.cps), ull(s.inpps), ull(s.outpps));
    out += format_largenum(s.inbps, format) + format_largenum(s.outbps, format);
    return out + "\n";
  }
  if (format & fmt_thresholds) {
    return fmt("  -> %-28s %-10u %-10u %-10u %-10u\n", dn, d.u_threshold, d.l_threshold, d.activeconns, d.inactconns);
  }
  if (format & fmt_persistentconn) {
    return fmt("  -> %-28s %-9u %-11u %-10u %-10u\n", dn, static_cast<unsigned>(d.weight), d.persistconns,
               d.activeconns, d.inactconns);
  }
  if (format & fmt_tun_info) {
    const char* tun = (d.forward & 0x7) == fwd_tunnel ? "ipip" : "n/a";
    return fmt("  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", dn, forward_name(d.forward), tun, d.weight, d.activeconns,
               d.inactconns);
  }
  return fmt("  -> %-28s %-7s %-6d %-10u %-10u\n", dn, forward_name(d.forward), d.weight, d.activeconns, d.inactconns);
}

// Stock's comparisons: an unsigned difference read as int.
int diff(uint32_t a, uint32_t b) {
  return static_cast<int>(a - b);
}

int compare_addr(const Addr& a, const Addr& b, uint8_t family) {
  int r = 0;
  if (family == 6) {
    for (int i = 0; r == 0 && i < 4; ++i) r = diff(address_word(a, i), address_word(b, i));
  } else {
    r = diff(address_word(a, 0), address_word(b, 0));
  }
  return r;
}

int compare_services(const Service& a, const Service& b) {
  int r = diff(a.fwmark, b.fwmark);
  if (r != 0) return r;
  const int af_a = a.addr.family == 6 ? AF_INET6 : AF_INET;
  const int af_b = b.addr.family == 6 ? AF_INET6 : AF_INET;
  if ((r = af_a - af_b) != 0) return r;
  if ((r = static_cast<int>(a.protocol) - static_cast<int>(b.protocol)) != 0) return r;
  if ((r = compare_addr(a.addr, b.addr, a.addr.family)) != 0) return r;
  return static_cast<int>(a.port) - static_cast<int>(b.port);
}

int compare_dests(const Dest& a, const Dest& b) {
  const int r = compare_addr(a.addr, b.addr, a.addr.family);
  if (r != 0) return r;
  return static_cast<int>(a.port) - static_cast<int>(b.port);
}

// glibc's qsort (msort): halves of n/2 and n - n/2, merged taking from the left while cmp <= 0. The same
// steps give the same order even where stock's wrapping comparisons are not a consistent order.
template <class Cmp>
void glibc_msort(size_t* b, size_t n, size_t* tmp, Cmp& cmp) {
  if (n <= 1) return;
  size_t n1 = n / 2;
  size_t n2 = n - n1;
  size_t* b1 = b;
  size_t* b2 = b + n1;
  glibc_msort(b1, n1, tmp, cmp);
  glibc_msort(b2, n2, tmp, cmp);
  size_t* out = tmp;
  while (n1 > 0 && n2 > 0) {
    if (cmp(*b1, *b2) <= 0) {
      *out++ = *b1++;
      --n1;
    } else {
      *out++ = *b2++;
      --n2;
    }
  }
  for (size_t i = 0; i < n1; ++i) *out++ = b1[i];
  for (size_t i = 0; i < n - n2; ++i) b[i] = tmp[i];
}

template <class T, class Cmp>
void stock_sort(std::vector<T>& items, Cmp cmp) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<size_t> tmp(items.size());
  auto by_index = [&](size_t x, size_t y) { return cmp(items[x], items[y]); };
  glibc_msort(order.data(), order.size(), tmp.data(), by_index);
  std::vector<T> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

}  // namespace

std::string format_version_line(uint32_t version, uint32_t conn_table_size) {
  return fmt("IP Virtual Server version %u.%u.%u (size=%u)\n", (version >> 16) & 0xff, (version >> 8) & 0xff,
             version & 0xff, conn_table_size);
}

std::string format_title(unsigned format) {
  if (format & fmt_stats) {
    return fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Conns", "InPkts",
               "OutPkts", "InBytes", "OutBytes");
  }
  if (format & fmt_rate) {
    return fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "CPS", "InPPS",
               "OutPPS", "InBPS", "OutBPS");
  }
  if (format & fmt_thresholds) {
    return fmt("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Uthreshold",
               "Lthreshold", "ActiveConn", "InActConn");
  }
  if (format & fmt_persistentconn) {
    return fmt("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Weight",
               "PersistConn", "ActiveConn", "InActConn");
  }
  if (format & fmt_tun_info) {
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
  }
  if (format & fmt_rule) return {};
  return "Prot LocalAddress:Port Scheduler Flags\n"
         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
}

std::string format_largenum(uint64_t value, unsigned format) {
  const unsigned long long v = ull(value);
  if (format & fmt_exact) {
    const int len = static_cast<int>(std::to_string(v).size());
    return fmt("%*llu", len <= 8 ? 9 : len + 1, v);
  }
  if (v < 100000000ULL) return fmt("%9llu", v);
  if (v < 1000000000ULL) return fmt("%8lluK", v / 1000);
  if (v < 100000000000ULL) return fmt("%8lluM", v / 1000000);
  if (v < 100000000000000ULL) return fmt("%8lluG", v / 1000000000ULL);
  return fmt("%8lluT", v / 1000000000000ULL);
}

std::string sched_flags_text(const std::string& sched, uint32_t flags) {
  std::string out;
  auto add = [&](const char* name) { out += (out.empty() ? "" : ",") + std::string(name); };
  if (sched == "sh" || sched == "mh") {
    // The hashing schedulers name the first two flags after themselves and have no third.
    if (flags & svc_sched1) add(sched == "sh" ? "sh-fallback" : "mh-fallback");
    if (flags & svc_sched2) add(sched == "sh" ? "sh-port" : "mh-port");
  } else {
    if (flags & svc_sched1) add("flag-1");
    if (flags & svc_sched2) add("flag-2");
    if (flags & svc_sched3) add("flag-3");
  }
  return out;
}

std::string format_service(const Service& svc, unsigned format) {
  const std::string name = service_name(svc, format);
  std::string out = service_line(svc, name, format);
  std::vector<Dest> dests = svc.dests;
  if (!(format & fmt_nosort)) sort_dests(dests);
  for (const Dest& d : dests) out += dest_line(svc, name, d, format);
  // Fulcrum's local-address group, as -P commands, so that -R restores it too.
  if (format & fmt_rule) {
    for (const Addr& a : svc.laddrs) out += "-P " + name + " -z " + address_text(a) + "\n";
  }
  return out;
}

std::string format_services(std::vector<Service> services, unsigned format) {
  if (!(format & fmt_nosort)) sort_services(services);
  std::string out = format_title(format);
  for (const Service& svc : services) out += format_service(svc, format);
  return out;
}

std::string format_timeout(int tcp, int tcp_fin, int udp) {
  return fmt("Timeout (tcp tcpfin udp): %d %d %d\n", tcp, tcp_fin, udp);
}

std::string format_daemon(uint32_t state, const std::string& mcast_ifn, uint32_t syncid) {
  return fmt("%s sync daemon (mcast=%s, syncid=%u)\n", state == 2 ? "backup" : "master", mcast_ifn.c_str(), syncid);
}

void sort_services(std::vector<Service>& services) {
  stock_sort(services, compare_services);
}

void sort_dests(std::vector<Dest>& dests) {
  stock_sort(dests, compare_dests);
}

}  // namespace fulcrum::ipvsadm
