// The connection listing against stock ipvsadm's -Lnc for the same connections, and Fulcrum's own formats:
// --fullnat-conn, -G, --counters, the words of -R lines, and the error words.

#include <cerrno>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "conn_list.hpp"
#include "counters.hpp"
#include "errors.hpp"
#include "ipvsadm_states.hpp"
#include "laddr_list.hpp"
#include "listing.hpp"
#include "restore.hpp"
#include "stock_outputs.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

std::string conns(unsigned format, bool fullnat) {
  std::string out = format_conn_title(format, fullnat);
  for (const auto& c : conns1()) out += format_conn(c, format, fullnat);
  return out;
}

}  // namespace

TEST_CASE("ipvsadm -Lnc prints stock's connection listing") {
  CHECK(conns(fmt_numeric, false) == kStockConns);
  CHECK(conns(fmt_numeric | fmt_persistentconn, false) == kStockConnsPersist);
}

TEST_CASE("ipvsadm --fullnat-conn adds the local address before the destination") {
  auto list = conns1();
  const Addr l = addr("198.18.2.1");
  std::memcpy(list[0].laddr, l.bytes.data(), 16);
  list[0].lport = htons(1025);
  list[0].forward = fwd_fullnat;
  std::string out = format_conn_title(fmt_numeric, true);
  for (size_t i = 0; i < 2; ++i) out += format_conn(list[i], fmt_numeric, true);
  CHECK(out ==
        "IPVS connection entries\n"
        "pro expire state       source             virtual            local              destination\n"
        "TCP 14:59  ESTABLISHED 198.18.10.2:54321  198.18.0.100:80    198.18.2.1:1025    198.18.1.2:80\n"
        "UDP 04:59  UDP         198.18.10.2:53     198.18.0.101:53    -                  198.18.1.4:53\n");
}

TEST_CASE("ipvsadm -G lists each service's binding and local addresses with their ports") {
  Service s = service(kProtoTcp, "198.18.0.100", 80, "rr");
  s.forward = fwd_fullnat;
  const std::vector<Addr> laddrs = {addr("198.18.2.1"), addr("198.18.2.2")};
  std::vector<ctrl::ipvs_conn::LaddrEntry> pool;
  for (uint32_t w = 0; w < 2; ++w) {
    for (const Addr& a : laddrs) {
      ctrl::ipvs_conn::LaddrEntry e{};
      e.family = 4;
      e.worker = w;
      std::memcpy(e.addr, a.bytes.data(), 16);
      e.ports = 32000;
      e.free_ports = 31990 + w;
      e.services = 1;
      pool.push_back(e);
    }
  }
  CHECK(format_laddr_title(false) + format_laddr_group(s, laddrs, pool, false, fmt_numeric) ==
        "Prot LocalAddress:Port            Forward LocalAddresses\n"
        "  -> LocalAddress                 Ports      FreePorts  Services\n"
        "TCP  198.18.0.100:80              FullNat 2\n"
        "  -> 198.18.2.1                   64000      63981      1\n"
        "  -> 198.18.2.2                   64000      63981      1\n");
  CHECK(format_laddr_group(s, {laddrs[0]}, pool, true, fmt_numeric) ==
        "TCP  198.18.0.100:80              FullNat 1\n"
        "  -> 198.18.2.1                   64000      63981      1\n"
        "     0                            32000      31990\n"
        "     1                            32000      31991\n");
  s.forward = fwd_masq;
  CHECK(format_laddr_group(s, {}, pool, false, fmt_numeric) == "TCP  198.18.0.100:80              -       0\n");
}

TEST_CASE("ipvsadm --counters: totals, and each worker's with --per-worker") {
  Counters c;
  c.workers = 2;
  c.names = {"conn_new", "fullnat_no_port"};
  c.totals = {123, 4};
  c.per_worker = {{60, 4}, {63, 0}};
  CHECK(format_counters(c, false) ==
        "Counter                  Total\n"
        "conn_new                   123\n"
        "fullnat_no_port              4\n");
  CHECK(format_counters(c, true) ==
        "Counter                  Total        Worker0        Worker1\n"
        "conn_new                   123             60             63\n"
        "fullnat_no_port              4              4              0\n");
}

TEST_CASE("ipvsadm -R lines: blanks split words, 'ipvsadm' is dropped, # starts a comment") {
  CHECK(restore_words("-A -t 198.18.0.100:80 -s rr") ==
        std::vector<std::string>{"-A", "-t", "198.18.0.100:80", "-s", "rr"});
  CHECK(restore_words("  ipvsadm\t-C \r") == std::vector<std::string>{"-C"});
  CHECK(restore_words("").empty());
  CHECK(restore_words("   ").empty());
  CHECK(restore_words("# -C").empty());
  CHECK(restore_words("#-C").empty());
}

TEST_CASE("error words are libipvs's, per operation") {
  CHECK(ipvs_strerror(Op::add_service, EEXIST) == "Service already exists");
  CHECK(ipvs_strerror(Op::add_service, ENOENT) == "Scheduler or persistence engine not found");
  CHECK(ipvs_strerror(Op::del_service, ESRCH) == "No such service");
  CHECK(ipvs_strerror(Op::del_service, ENOENT) == "No such file or directory");
  CHECK(ipvs_strerror(Op::add_dest, ESRCH) == "Service not defined");
  CHECK(ipvs_strerror(Op::add_dest, EEXIST) == "Destination already exists");
  CHECK(ipvs_strerror(Op::del_dest, ENOENT) == "No such destination");
  CHECK(ipvs_strerror(Op::flush, ESRCH) == "No such process");
  CHECK(ipvs_strerror(Op::stop_daemon, ESRCH) == "No daemon is running");
  CHECK(ipvs_strerror(Op::start_daemon, EEXIST) == "Daemon has already run");
  CHECK(ipvs_strerror(Op::zero, EPERM) == "Permission denied (you must be root)");
  CHECK(ipvs_strerror(Op::add_dest, ENOMEM) == "Memory allocation problem");
  CHECK(ipvs_strerror(Op::init, ENOPROTOOPT) == "Protocol not available");
  CHECK(ipvs_strerror(Op::add_dest, EINVAL) ==
        "Invalid operation.  Possibly wrong module version, address not unicast, ...");
  CHECK(ipvs_strerror(Op::add_dest, ERANGE) == "Numerical result out of range");
  CHECK(has_stock_words(Op::add_dest, EEXIST));
  CHECK_FALSE(has_stock_words(Op::add_dest, EINVAL));
  CHECK_FALSE(has_stock_words(Op::add_dest, ERANGE));
}

}  // namespace fulcrum::ipvsadm::test
