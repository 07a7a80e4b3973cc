#pragma once
// The service table as stock ipvsadm 1.31 prints it, byte for byte: -L/-l (plain, --stats, --rate,
// --thresholds, --persistent-conn, --tun-info, --exact), -S rules, --timeout and --daemon, and its sort order.
// Pure text: the caller prints it.

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace fulcrum::ipvsadm {

// Stock ipvsadm's FMT_* bits (and the order in which they win when several are given).
enum Format : unsigned {
  fmt_numeric = 0x0001,
  fmt_rule = 0x0002,  // -S
  fmt_stats = 0x0004,
  fmt_rate = 0x0008,
  fmt_thresholds = 0x0010,
  fmt_persistentconn = 0x0020,
  fmt_nosort = 0x0040,
  fmt_exact = 0x0080,
  fmt_tun_info = 0x0100,
};

// The kernel's IPVS version as stock ipvsadm prints it (1.2.1).
constexpr uint32_t kIpvsVersionCode = 0x010201;

// "IP Virtual Server version 1.2.1 (size=4096)\n"
std::string format_version_line(uint32_t version, uint32_t conn_table_size);
// The column headings (nothing for -S).
std::string format_title(unsigned format);
// A counter in a 9-wide column: exact with --exact, else scaled with K/M/G/T past 100 million.
std::string format_largenum(uint64_t value, unsigned format);
// The scheduler flags' names, comma-separated, as -L and -S print them ("sh-fallback,sh-port", "flag-1").
std::string sched_flags_text(const std::string& sched, uint32_t flags);
// One service and its real servers (sorted unless fmt_nosort), as -L or -S prints them.
std::string format_service(const Service& svc, unsigned format);
// The headings and every service (sorted unless fmt_nosort): -L and -S after the version line.
std::string format_services(std::vector<Service> services, unsigned format);
// "Timeout (tcp tcpfin udp): 900 120 300\n"
std::string format_timeout(int tcp, int tcp_fin, int udp);
// "master sync daemon (mcast=eth0, syncid=0)\n"; state is 1 (master) or 2 (backup).
std::string format_daemon(uint32_t state, const std::string& mcast_ifn, uint32_t syncid);

// Stock ipvsadm's orders: services by fwmark, family, protocol, address, port; real servers by address and
// port. Its comparisons subtract 32-bit words and read the difference as a signed int (so 200.0.0.1 sorts
// before 10.0.0.1), and glibc's qsort is a merge sort: both are reproduced, so the order is the same.
void sort_services(std::vector<Service>& services);
void sort_dests(std::vector<Dest>& dests);

}  // namespace fulcrum::ipvsadm
