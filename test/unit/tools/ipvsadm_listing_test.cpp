// ipvsadm's listings against what stock ipvsadm 1.31 printed for the same tables (stock_outputs.hpp), byte
// for byte, and the formats stock has no output for here (IPv6, FullNAT, 64-bit counters).

#include <string>

#include <catch2/catch.hpp>

#include "ipvsadm_states.hpp"
#include "listing.hpp"
#include "stock_outputs.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

std::string listing(const std::vector<Service>& services, unsigned format) {
  std::string out;
  if (!(format & fmt_rule)) out = format_version_line(kIpvsVersionCode, 4096);
  return out + format_services(services, format);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("ipvsadm -Ln prints stock's table, sorted as stock sorts it") {
  CHECK(listing(state1(), fmt_numeric) == kStockLn);
}

TEST_CASE("ipvsadm --nosort keeps the daemon's order") {
  CHECK(listing(state1(), fmt_numeric | fmt_nosort) == kStockNosort);
}

TEST_CASE("ipvsadm --stats scales counters past 100 million with K and M") {
  CHECK(listing(state1(), fmt_numeric | fmt_stats) == kStockStats);
}

TEST_CASE("ipvsadm --stats --exact prints every digit") {
  CHECK(listing(state1(), fmt_numeric | fmt_stats | fmt_exact) == kStockExact);
}

TEST_CASE("ipvsadm --rate prints the per-second rates; a real server's packet rates are never scaled") {
  CHECK(listing(state1(), fmt_numeric | fmt_rate) == kStockRate);
  // --stats wins over --rate, as in stock.
  CHECK(listing(state1(), fmt_numeric | fmt_rate | fmt_stats) == kStockStats);
}

TEST_CASE("ipvsadm --thresholds and --persistent-conn") {
  CHECK(listing(state1(), fmt_numeric | fmt_thresholds) == kStockThresholds);
  CHECK(listing(state1(), fmt_numeric | fmt_persistentconn) == kStockPersistentConn);
  CHECK(listing(state1(), fmt_numeric | fmt_thresholds | fmt_persistentconn) == kStockThresholds);
}

TEST_CASE("ipvsadm --tun-info adds the tunnel type column") {
  CHECK(listing(state1(), fmt_numeric | fmt_tun_info) == kStockTunInfo);
}

TEST_CASE("ipvsadm -S -n writes the rules -R reads") {
  CHECK(listing(state1(), fmt_numeric | fmt_rule) == kStockSave);
}

TEST_CASE("ipvsadm -Ln -t lists one service without the version line") {
  CHECK(format_title(fmt_numeric) + format_service(state1()[0], fmt_numeric) == kStockOneService);
}

TEST_CASE("scheduler flags, one-packet scheduling, port 0, weights and thresholds at their ends") {
  // Stock prints FullNAT (method 5) as "(null)"; Fulcrum names it.
  const std::string ln = replace_all(kStockFlagsLn, "(null) ", "FullNat");
  const std::string save = replace_all(kStockFlagsSave, "(null)", "-b");
  CHECK(listing(state2(), fmt_numeric) == ln);
  CHECK(listing(state2(), fmt_numeric | fmt_rule) == save);
  CHECK(listing(state3(), fmt_numeric) == kStockOpsLn);
  CHECK(listing(state3(), fmt_numeric | fmt_rule) == kStockOpsSave);
}

TEST_CASE("largenum: the column is 9 wide and scales at 10^8, 10^9, 10^11 and 10^14") {
  CHECK(format_largenum(0, 0) == "        0");
  CHECK(format_largenum(99999999, 0) == " 99999999");
  CHECK(format_largenum(100000000, 0) == "  100000K");
  CHECK(format_largenum(999999999, 0) == "  999999K");
  CHECK(format_largenum(1000000000, 0) == "    1000M");
  CHECK(format_largenum(99999999999ULL, 0) == "   99999M");
  CHECK(format_largenum(100000000000ULL, 0) == "     100G");
  CHECK(format_largenum(100000000000000ULL, 0) == "     100T");
  CHECK(format_largenum(123456789, fmt_exact) == " 123456789");
  CHECK(format_largenum(5, fmt_exact) == "        5");
  // 64-bit counters (the sockopt structs cut packet counts at 32 bits; the extension does not).
  CHECK(format_largenum(18446744073709551615ULL, fmt_exact) == " 18446744073709551615");
}

TEST_CASE("sort order: the wrapping address comparison, families, protocols and ports") {
  std::vector<Service> v = {service(kProtoTcp, "10.0.0.1", 80, "rr"),  service(kProtoUdp, "1.0.0.1", 80, "rr"),
                            service(kProtoTcp, "200.0.0.1", 80, "rr"), service(kProtoTcp, "2001:db8::1", 80, "rr"),
                            service(kProtoTcp, "10.0.0.1", 22, "rr"),  service(kProtoTcp, "2001:db8::0:1", 79, "rr")};
  sort_services(v);
  std::vector<std::string> order;
  for (const auto& s : v) order.push_back(format_service(s, fmt_numeric | fmt_rule));
  CHECK(order == std::vector<std::string>{"-A -t 200.0.0.1:80 -s rr\n", "-A -t 10.0.0.1:22 -s rr\n",
                                          "-A -t 10.0.0.1:80 -s rr\n", "-A -u 1.0.0.1:80 -s rr\n",
                                          "-A -t [2001:db8::1]:79 -s rr\n", "-A -t [2001:db8::1]:80 -s rr\n"});
}

TEST_CASE("IPv6 services: bracketed, never cut to the column, prefix-length masks") {
  Service s = service(kProtoTcp, "2001:db8:ffff:ffff:ffff:ffff:ffff:100", 443, "wlc", svc_persistent, 600, 64);
  Dest d = dest("2001:db8:ffff:ffff:ffff:ffff:ffff:2", 8443, fwd_fullnat, 3, 1, 2);
  s.dests = {d};
  CHECK(format_service(s, fmt_numeric) ==
        "TCP  [2001:db8:ffff:ffff:ffff:ffff:ffff:100]:443 wlc persistent 600 mask 64\n"
        "  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:2]:8443 FullNat 3      1          2         \n");
  CHECK(format_service(s, fmt_numeric | fmt_rule) ==
        "-A -t [2001:db8:ffff:ffff:ffff:ffff:ffff:100]:443 -s wlc -p 600 -M 64\n"
        "-a -t [2001:db8:ffff:ffff:ffff:ffff:ffff:100]:443 -r [2001:db8:ffff:ffff:ffff:ffff:ffff:2]:8443 -b -w 3\n");
  s.netmask = 128;
  CHECK(format_service(s, fmt_numeric)
            .starts_with("TCP  [2001:db8:ffff:ffff:ffff:ffff:ffff:100]:443 wlc persistent 600\n"));
}

TEST_CASE("IPv4 names are cut to stock's columns") {
  Service s = service(kProtoSctp, "198.18.0.100", 80, "rr");
  s.dests = {dest("198.18.1.2", 80, fwd_droute, 1)};
  CHECK(format_service(s, fmt_numeric) ==
        "SCTP 198.18.0.100:80 rr\n"
        "  -> 198.18.1.2:80                Route   1      0          0         \n");
  CHECK(format_service(s, fmt_numeric | fmt_rule) ==
        "-A --sctp-service 198.18.0.100:80 -s rr\n"
        "-a --sctp-service 198.18.0.100:80 -r 198.18.1.2:80 -g -w 1\n");
}

TEST_CASE("a FullNAT binding and local-address group save as --fullnat and -P, and list as stock does") {
  Service s = service(kProtoTcp, "198.18.0.100", 80, "rr");
  s.forward = fwd_fullnat;
  s.dests = {dest("198.18.1.2", 8080, fwd_fullnat, 1)};
  s.laddrs = {addr("198.18.2.1"), addr("198.18.2.2")};
  CHECK(format_service(s, fmt_numeric | fmt_rule) ==
        "-A -t 198.18.0.100:80 -s rr --fullnat\n"
        "-a -t 198.18.0.100:80 -r 198.18.1.2:8080 -b -w 1\n"
        "-P -t 198.18.0.100:80 -z 198.18.2.1\n"
        "-P -t 198.18.0.100:80 -z 198.18.2.2\n");
  CHECK(format_service(s, fmt_numeric) ==
        "TCP  198.18.0.100:80 rr\n"
        "  -> 198.18.1.2:8080              FullNat 1      0          0         \n");
  s.toa_off = true;
  s.dests.clear();
  s.laddrs.clear();
  CHECK(format_service(s, fmt_numeric | fmt_rule) == "-A -t 198.18.0.100:80 -s rr --fullnat --no-toa\n");
}

TEST_CASE("scheduler flag names follow the scheduler") {
  CHECK(sched_flags_text("sh", svc_sched1 | svc_sched2 | svc_sched3) == "sh-fallback,sh-port");
  CHECK(sched_flags_text("mh", svc_sched2) == "mh-port");
  CHECK(sched_flags_text("conhash", svc_sched1) == "flag-1");
  CHECK(sched_flags_text("sh", svc_sched3).empty());
}

TEST_CASE("ipvsadm --timeout and --daemon lines") {
  CHECK(format_timeout(900, 120, 300) == "Timeout (tcp tcpfin udp): 900 120 300\n");
  CHECK(format_daemon(1, "eth0", 0) == "master sync daemon (mcast=eth0, syncid=0)\n");
  CHECK(format_daemon(2, "eth1", 7) == "backup sync daemon (mcast=eth1, syncid=7)\n");
}

}  // namespace fulcrum::ipvsadm::test
