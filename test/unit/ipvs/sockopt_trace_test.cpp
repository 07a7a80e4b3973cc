// What stock ipvsadm 1.31 and keepalived 2.2.7 sent, replayed byte for byte (the payload hexdumps of
// ../shared/reference/ipvs-traces), with the answers the kernel would give.

#include <catch2/catch.hpp>

#include <cerrno>

#include "sockopt_test_util.hpp"

using namespace sockopt_test;

namespace {

struct Step {
  const char* what;
  uint32_t optname;
  const char* payload;  // hexdump, "" for none
  int status;
};

void replay(Daemon& d, const std::vector<Step>& steps) {
  for (const Step& s : steps) {
    CAPTURE(s.what);
    const Reply r = d.set(s.optname, hex(s.payload));
    CHECK(r.status == s.status);
  }
}

const char* const kAddRr = "06000000 c6120064 00500000 00000000 72720000 00000000 00000000 00000000 00000000 00000000 ffffffff";
const char* const kAddWrr = "06000000 c6120064 00500000 00000000 77727200 00000000 00000000 00000000 00000000 00000000 ffffffff";
const char* const kWrrDest2 =
    "06000000 c6120064 00500000 00000000 77727200 00000000 00000000 00000000 00000000 00000000 ffffffff "
    "c6120102 00500000 00000000 02000000 00000000 00000000";
const char* const kWrrDest3 =
    "06000000 c6120064 00500000 00000000 77727200 00000000 00000000 00000000 00000000 00000000 ffffffff "
    "c6120103 00500000 00000000 01000000 00000000 00000000";

std::vector<std::pair<std::string, int>> dests_of(Daemon& d) {
  std::vector<ipvs::DestInfo> dests;
  const ipvs::ServiceKey k{IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100), htons(80)};
  std::vector<std::pair<std::string, int>> out;
  if (!d.services.list_dests(k, &dests).ok()) return out;
  for (const auto& x : dests) out.emplace_back(ipvs::to_string(x.spec.id), x.spec.weight);
  return out;
}

}  // namespace

TEST_CASE("trace: ipvsadm's commands, one after the other") {
  Daemon d;
  REQUIRE(d.get(IP_VS_SO_GET_INFO, 12).status == 0);
  replay(d, {
                {"-A -t 198.18.0.100:80 -s rr", IP_VS_SO_SET_ADD, kAddRr, 0},
                {"-a -t ... -r 198.18.1.2:80 -m -w 2", IP_VS_SO_SET_ADDDEST,
                 "06000000 c6120064 00500000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff "
                 "c6120102 00500000 00000000 02000000 00000000 00000000",
                 0},
                {"-e ... -r 198.18.1.2:80 -m -w 5", IP_VS_SO_SET_EDITDEST,
                 "06000000 c6120064 00500000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff "
                 "c6120102 00500000 00000000 05000000 00000000 00000000",
                 0},
                {"-A again", IP_VS_SO_SET_ADD, kAddRr, EEXIST},
                {"-A -t 198.18.0.101:80 -s nosuch", IP_VS_SO_SET_ADD,
                 "06000000 c6120065 00500000 00000000 6e6f7375 63680000 00000000 00000000 00000000 00000000 ffffffff",
                 ENOENT},
                {"-d -r 198.18.1.9:80", IP_VS_SO_SET_DELDEST,
                 "06000000 c6120064 00500000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff "
                 "c6120109 00500000 03000000 01000000 00000000 00000000",
                 ENOENT},
                {"-Z", IP_VS_SO_SET_ZERO,
                 "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff", 0},
                {"--set 900 120 300", IP_VS_SO_SET_TIMEOUT, "84030000 78000000 2c010000", 0},
                {"--start-daemon master", IP_VS_SO_SET_STARTDAEMON, "01000000 65746830 00000000 00000000 00000000 00000000",
                 ENOSYS},
                {"--stop-daemon master", IP_VS_SO_SET_STOPDAEMON, "01000000 00000000 00000000 00000000 00000000 00000000",
                 ESRCH},
            });
  CHECK(dests_of(d) == std::vector<std::pair<std::string, int>>{{"198.18.1.2:80", 5}});
  replay(d, {
                {"-d -r 198.18.1.2:80", IP_VS_SO_SET_DELDEST,
                 "06000000 c6120064 00500000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff "
                 "c6120102 00500000 03000000 01000000 00000000 00000000",
                 0},
                {"-D -t 198.18.0.100:80", IP_VS_SO_SET_DEL,
                 "06000000 c6120064 00500000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff", 0},
                {"-C", IP_VS_SO_SET_FLUSH, "", 0},
            });
  CHECK(d.services.list_services().empty());
}

TEST_CASE("trace: keepalived NAT: start, a real server failing and coming back, stop") {
  Daemon d;
  REQUIRE(d.get(IP_VS_SO_GET_INFO, 12).status == 0);
  const auto saved = d.get(IP_VS_SO_GET_TIMEOUT, 12).at<ip_vs_timeout_user>();
  replay(d, {
                {"lvs_timeouts tcp 7200 tcpfin 120 udp 300", IP_VS_SO_SET_TIMEOUT, "201c0000 78000000 2c010000", 0},
                {"virtual_server, lb_algo wrr", IP_VS_SO_SET_ADD, kAddWrr, 0},
                {"real_server 198.18.1.2 weight 2", IP_VS_SO_SET_ADDDEST, kWrrDest2, 0},
                {"real_server 198.18.1.3 weight 1", IP_VS_SO_SET_ADDDEST, kWrrDest3, 0},
            });
  CHECK(d.get(IP_VS_SO_GET_TIMEOUT, 12).at<ip_vs_timeout_user>().tcp_timeout == 7200);
  CHECK(dests_of(d).size() == 2);
  replay(d, {
                {"TCP_CHECK of .3 fails", IP_VS_SO_SET_DELDEST, kWrrDest3, 0},
                {"TCP_CHECK of .2 fails", IP_VS_SO_SET_DELDEST, kWrrDest2, 0},
                {"the service with no real server", IP_VS_SO_SET_DELDEST, kWrrDest2, ENOENT},
                {".2 comes back", IP_VS_SO_SET_ADDDEST, kWrrDest2, 0},
                {".2 again: keepalived tolerates EEXIST", IP_VS_SO_SET_ADDDEST, kWrrDest2, EEXIST},
            });
  CHECK(dests_of(d) == std::vector<std::pair<std::string, int>>{{"198.18.1.2:80", 2}});
  replay(d, {
                {"SIGTERM: .2", IP_VS_SO_SET_DELDEST, kWrrDest2, 0},
                {"SIGTERM: the service", IP_VS_SO_SET_DEL, kAddWrr, 0},
                {"SIGTERM: timeouts back", IP_VS_SO_SET_TIMEOUT, "84030000 78000000 2c010000", 0},
                {"a second SIGTERM's delete: keepalived tolerates ESRCH", IP_VS_SO_SET_DEL, kAddWrr, ESRCH},
            });
  CHECK(d.services.list_services().empty());
  CHECK(d.get(IP_VS_SO_GET_TIMEOUT, 12).at<ip_vs_timeout_user>().tcp_timeout == saved.tcp_timeout);
}

TEST_CASE("trace: keepalived SIGHUP: weight 2 to 5 and wrr to wlc as SET_EDIT and SET_EDITDEST") {
  Daemon d;
  replay(d, {
                {"start", IP_VS_SO_SET_ADD, kAddWrr, 0},
                {"real_server .2", IP_VS_SO_SET_ADDDEST, kWrrDest2, 0},
                {"real_server .3", IP_VS_SO_SET_ADDDEST, kWrrDest3, 0},
                {"reload: lb_algo wlc", IP_VS_SO_SET_EDIT,
                 "06000000 c6120064 00500000 00000000 776c6300 00000000 00000000 00000000 00000000 00000000 ffffffff", 0},
                {"reload: .2 weight 5", IP_VS_SO_SET_EDITDEST,
                 "06000000 c6120064 00500000 00000000 776c6300 00000000 00000000 00000000 00000000 00000000 ffffffff "
                 "c6120102 00500000 00000000 05000000 00000000 00000000",
                 0},
            });
  CHECK(dests_of(d) == std::vector<std::pair<std::string, int>>{{"198.18.1.2:80", 5}, {"198.18.1.3:80", 1}});
  ipvs::ServiceInfo info;
  REQUIRE(d.services.get_service({IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100), htons(80)}, &info)
              .ok());
  CHECK(info.spec.scheduler == "wlc");
}

TEST_CASE("trace: ipvsadm -Ln's reads: GET_SERVICES sized by GET_INFO, then GET_DESTS per service") {
  Daemon d;
  replay(d, {{"service", IP_VS_SO_SET_ADD, kAddWrr, 0}, {"dest", IP_VS_SO_SET_ADDDEST, kWrrDest2, 0}});
  const auto info = d.get(IP_VS_SO_GET_INFO, 12).at<ip_vs_getinfo>();
  REQUIRE(info.num_services == 1);
  // The lengths ipvsadm passed in the trace of -Ln with one service and one real server: 112 and 120.
  const Reply svcs = d.get(IP_VS_SO_GET_SERVICES, services_buf(info.num_services));
  REQUIRE(svcs.status == 0);
  CHECK(services_buf(1).size() == 112);
  const auto e = svcs.at<ip_vs_service_entry>(8);
  CHECK(std::string(e.sched_name) == "wrr");
  ip_vs_service_user u{};
  u.protocol = e.protocol;
  u.addr = e.addr;
  u.port = e.port;
  const Bytes q = dests_buf(u, e.num_dests);
  CHECK(q.size() == 120);
  const Reply dests = d.get(IP_VS_SO_GET_DESTS, q);
  REQUIRE(dests.status == 0);
  CHECK(dests.at<ip_vs_dest_entry>(24).weight == 2);
}
