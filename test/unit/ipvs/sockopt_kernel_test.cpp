// The kernel's sockopt commands on the control socket: lengths, errno values and the layouts that stock
// ipvsadm reads, checked against ../shared/docs/ipvs-compat.md.

#include <catch2/catch.hpp>

#include <cerrno>

#include "sockopt_test_util.hpp"

using namespace sockopt_test;

namespace {

// Every SET with its exact length, from <linux/ip_vs.h>.
const std::vector<std::pair<uint32_t, size_t>> kSetLengths = {
    {IP_VS_SO_SET_ADD, 44},      {IP_VS_SO_SET_EDIT, 44},        {IP_VS_SO_SET_DEL, 44},
    {IP_VS_SO_SET_FLUSH, 0},     {IP_VS_SO_SET_ADDDEST, 68},     {IP_VS_SO_SET_DELDEST, 68},
    {IP_VS_SO_SET_EDITDEST, 68}, {IP_VS_SO_SET_TIMEOUT, 12},     {IP_VS_SO_SET_STARTDAEMON, 24},
    {IP_VS_SO_SET_STOPDAEMON, 24}, {IP_VS_SO_SET_ZERO, 44}};

// Every GET with its minimum length.
const std::vector<std::pair<uint32_t, size_t>> kGetMinimum = {
    {IP_VS_SO_GET_VERSION, 64}, {IP_VS_SO_GET_INFO, 12},    {IP_VS_SO_GET_SERVICES, 8}, {IP_VS_SO_GET_SERVICE, 104},
    {IP_VS_SO_GET_DESTS, 24},   {IP_VS_SO_GET_TIMEOUT, 12}, {IP_VS_SO_GET_DAEMON, 48}};

void add_service(Daemon& d, const char* vip, uint16_t port, const char* sched = "rr") {
  REQUIRE(d.set_struct(IP_VS_SO_SET_ADD, svc_user(vip, port, sched)).status == 0);
}

void add_dest(Daemon& d, const char* vip, uint16_t port, const char* rip, int weight = 1,
              unsigned fwd = IP_VS_CONN_F_MASQ) {
  REQUIRE(d.set(IP_VS_SO_SET_ADDDEST, concat(svc_user(vip, port, ""), dest_user(rip, port, weight, fwd))).status == 0);
}

}  // namespace

TEST_CASE("sockopt: the structs are the kernel's sizes") {
  CHECK(sizeof(ip_vs_service_user) == 44);
  CHECK(sizeof(ip_vs_dest_user) == 24);
  CHECK(sizeof(ip_vs_service_entry) == 104);
  CHECK(sizeof(ip_vs_dest_entry) == 96);
  CHECK(offsetof(ip_vs_service_entry, num_dests) == 44);
  CHECK(offsetof(ip_vs_service_entry, stats) == 48);
  CHECK(offsetof(ip_vs_dest_entry, activeconns) == 24);
  CHECK(offsetof(ip_vs_dest_entry, stats) == 40);
  CHECK(offsetof(ip_vs_get_dests, entrytable) == 24);
}

TEST_CASE("sockopt: every SET demands its exact length, EINVAL otherwise") {
  Daemon d;
  for (const auto& [id, len] : kSetLengths) {
    CAPTURE(id, len);
    for (size_t wrong : {len + 1, len + 4, len == 0 ? size_t{1} : len - 1}) {
      const Reply r = d.set(id, Bytes(wrong, 0));
      CHECK(r.status == EINVAL);
      CHECK(r.text().find("expected " + std::to_string(len)) != std::string::npos);
    }
  }
}

TEST_CASE("sockopt: every GET demands at least its minimum length") {
  Daemon d;
  for (const auto& [id, len] : kGetMinimum) {
    CAPTURE(id, len);
    CHECK(d.get(id, len - 1).status == EINVAL);
    CHECK(d.get(id, size_t{0}).status == EINVAL);
  }
}

TEST_CASE("sockopt: GET_VERSION is the kernel's text, and its length is the reply's") {
  Daemon d;
  const Reply r = d.get(IP_VS_SO_GET_VERSION, 64);
  REQUIRE(r.status == 0);
  const std::string want = "IP Virtual Server version 1.2.1 (size=4096)";
  CHECK(r.payload.size() == want.size() + 1);
  CHECK(r.text() == want);
}

TEST_CASE("sockopt: GET_INFO counts IPv4 services only") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  add_service(d, "198.18.0.100", 443);
  ipvs::ServiceSpec v6;
  v6.key.family = ipvs::Family::v6;
  v6.key.addr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
  v6.key.port = htons(80);
  REQUIRE(d.services.add_service(v6).ok());
  const Reply r = d.get(IP_VS_SO_GET_INFO, 12);
  REQUIRE(r.status == 0);
  REQUIRE(r.payload.size() == 12);
  const auto info = r.at<ip_vs_getinfo>();
  CHECK(info.version == 0x010201);
  CHECK(info.size == Daemon::kTablePerWorker * Daemon::kWorkers);
  CHECK(info.num_services == 2);
}

TEST_CASE("sockopt: GET_SERVICES is exactly 8 + 104 n, and writes at most n entries") {
  Daemon d;
  add_service(d, "198.18.0.100", 80, "wlc");
  add_service(d, "198.18.0.101", 53, "rr");
  add_dest(d, "198.18.0.100", 80, "198.18.1.2");

  CHECK(d.get(IP_VS_SO_GET_SERVICES, services_buf(2)).status == 0);
  Bytes short_buf = services_buf(2);
  short_buf.pop_back();
  const Reply bad = d.get(IP_VS_SO_GET_SERVICES, short_buf);
  CHECK(bad.status == EINVAL);
  CHECK(bad.text().find("num_services 2") != std::string::npos);
  Bytes long_buf = services_buf(1);
  long_buf.resize(long_buf.size() + sizeof(ip_vs_service_entry));
  CHECK(d.get(IP_VS_SO_GET_SERVICES, long_buf).status == EINVAL);

  const Reply r = d.get(IP_VS_SO_GET_SERVICES, services_buf(2));
  REQUIRE(r.payload.size() == 8 + 2 * 104);
  CHECK(r.at<uint32_t>(0) == 2);  // the kernel never writes the count
  const auto e0 = r.at<ip_vs_service_entry>(8);
  CHECK(e0.protocol == IPPROTO_TCP);
  CHECK(e0.addr == ip4("198.18.0.100"));
  CHECK(e0.port == htons(80));
  CHECK(std::string(e0.sched_name) == "wlc");
  CHECK(e0.netmask == 0xffffffff);
  CHECK(e0.num_dests == 1);
  CHECK((e0.flags & IP_VS_SVC_F_HASHED) != 0);
  const auto e1 = r.at<ip_vs_service_entry>(8 + 104);
  CHECK(e1.port == htons(53));

  // Room for one: one entry written, the rest of the buffer is the caller's.
  const Reply one = d.get(IP_VS_SO_GET_SERVICES, services_buf(1));
  REQUIRE(one.status == 0);
  CHECK(one.payload.size() == 8 + 104);
  // None: the head alone.
  const Reply none = d.get(IP_VS_SO_GET_SERVICES, services_buf(0));
  REQUIRE(none.status == 0);
  CHECK(none.payload.size() == 8);
}

TEST_CASE("sockopt: GET_SERVICE finds one service (ESRCH otherwise) and writes 104 bytes of a 224-byte buffer") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  ip_vs_service_entry q{};
  q.protocol = IPPROTO_TCP;
  q.addr = ip4("198.18.0.100");
  q.port = htons(80);
  Bytes buf = bytes_of(q);
  buf.resize(224, 0);
  const Reply r = d.get(IP_VS_SO_GET_SERVICE, buf);
  REQUIRE(r.status == 0);
  REQUIRE(r.payload.size() == 104);
  CHECK(std::string(r.at<ip_vs_service_entry>().sched_name) == "rr");
  q.port = htons(81);
  CHECK(d.get_struct(IP_VS_SO_GET_SERVICE, q).status == ESRCH);
  q.port = htons(80);
  q.fwmark = 7;
  CHECK(d.get_struct(IP_VS_SO_GET_SERVICE, q).status == ESRCH);
}

TEST_CASE("sockopt: GET_DESTS is exactly 24 + 96 n, with the kernel's layout") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  add_dest(d, "198.18.0.100", 80, "198.18.1.2", 2);
  add_dest(d, "198.18.0.100", 80, "198.18.1.3", 5, IP_VS_CONN_F_DROUTE);
  const ip_vs_service_user u = svc_user("198.18.0.100", 80);
  ipvs::WorkerService* w0 = d.services.worker_table(0).find(IPPROTO_TCP, ipvs::Family::v4,
                                                          ipvs::IpAddr::v4(198, 18, 0, 100), htons(80));
  REQUIRE(w0 != nullptr);
  w0->dests[0].activeconns = 3;
  w0->dests[0].inactconns = 4;
  w0->extra[0].stats.add_conn();
  w0->extra[0].stats.add_in(100);

  Bytes short_buf = dests_buf(u, 2);
  short_buf.pop_back();
  const Reply bad = d.get(IP_VS_SO_GET_DESTS, short_buf);
  CHECK(bad.status == EINVAL);
  CHECK(bad.text().find("num_dests 2") != std::string::npos);

  const Reply r = d.get(IP_VS_SO_GET_DESTS, dests_buf(u, 2));
  REQUIRE(r.status == 0);
  REQUIRE(r.payload.size() == 24 + 2 * 96);
  const auto a = r.at<ip_vs_dest_entry>(24);
  CHECK(a.addr == ip4("198.18.1.2"));
  CHECK(a.port == htons(80));
  CHECK((a.conn_flags & IP_VS_CONN_F_FWD_MASK) == IP_VS_CONN_F_MASQ);
  CHECK(a.weight == 2);
  CHECK(a.activeconns == 3);
  CHECK(a.inactconns == 4);
  CHECK(a.stats.conns == 1);
  CHECK(a.stats.inpkts == 1);
  CHECK(a.stats.inbytes == 100);
  CHECK(a.conn_flags == IP_VS_CONN_F_INACTIVE);  // what the kernel keeps in a masq dest's flags
  const auto b = r.at<ip_vs_dest_entry>(24 + 96);
  CHECK(b.conn_flags == (IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_INACTIVE | IP_VS_CONN_F_NOOUTPUT));
  CHECK(b.weight == 5);

  // Fewer slots than dests: that many written.
  CHECK(d.get(IP_VS_SO_GET_DESTS, dests_buf(u, 1)).payload.size() == 24 + 96);
  // A service that does not exist.
  CHECK(d.get(IP_VS_SO_GET_DESTS, dests_buf(svc_user("198.18.0.9", 80), 0)).status == ESRCH);
}

TEST_CASE("sockopt: SET_ADD, SET_EDIT, SET_DEL with the kernel's errno values") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  CHECK(d.set_struct(IP_VS_SO_SET_ADD, svc_user("198.18.0.100", 80)).status == EEXIST);
  // EEXIST comes before the scheduler is looked at, as in the kernel.
  CHECK(d.set_struct(IP_VS_SO_SET_ADD, svc_user("198.18.0.100", 80, "nosuch")).status == EEXIST);
  const Reply unknown = d.set_struct(IP_VS_SO_SET_ADD, svc_user("198.18.0.101", 80, "nosuch"));
  CHECK(unknown.status == ENOENT);
  CHECK(unknown.text().find("nosuch") != std::string::npos);
  CHECK(d.set_struct(IP_VS_SO_SET_EDIT, svc_user("198.18.0.101", 80)).status == ESRCH);
  CHECK(d.set_struct(IP_VS_SO_SET_DEL, svc_user("198.18.0.101", 80)).status == ESRCH);
  const Reply proto = d.set_struct(IP_VS_SO_SET_ADD, svc_user("198.18.0.101", 80, "rr", 41));
  CHECK(proto.status == EFAULT);
  CHECK(proto.text().find("protocol 41") != std::string::npos);

  ip_vs_service_user unterminated = svc_user("198.18.0.102", 80);
  std::memset(unterminated.sched_name, 'x', sizeof unterminated.sched_name);
  const Reply un = d.set_struct(IP_VS_SO_SET_ADD, unterminated);
  CHECK(un.status == EINVAL);
  CHECK(un.text().find("sched_name") != std::string::npos);
  CHECK(d.set_struct(IP_VS_SO_SET_EDIT, unterminated).status == EINVAL);

  ip_vs_service_user mark = svc_user("0.0.0.0", 0);
  mark.fwmark = 5;
  CHECK(d.set_struct(IP_VS_SO_SET_ADD, mark).status == ENOSYS);

  ip_vs_service_user edit = svc_user("198.18.0.100", 80, "wlc");
  edit.flags = IP_VS_SVC_F_PERSISTENT;
  edit.timeout = 300;
  edit.netmask = htonl(0xffffff00);
  REQUIRE(d.set_struct(IP_VS_SO_SET_EDIT, edit).status == 0);
  ipvs::ServiceInfo info;
  REQUIRE(d.services.get_service(ipvs::ServiceKey{IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100),
                                                  htons(80)},
                                 &info)
              .ok());
  CHECK(info.spec.scheduler == "wlc");
  CHECK(info.spec.flags == IP_VS_SVC_F_PERSISTENT);
  CHECK(info.spec.timeout_s == 300);
  CHECK(info.spec.netmask == 0xffffff00u);

  CHECK(d.set_struct(IP_VS_SO_SET_DEL, svc_user("198.18.0.100", 80)).status == 0);
  CHECK(d.services.list_services().empty());
}

TEST_CASE("sockopt: dests: ERANGE, EEXIST, ENOENT, and forwarding methods") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  const auto svc = svc_user("198.18.0.100", 80, "");
  add_dest(d, "198.18.0.100", 80, "198.18.1.2");
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.2", 80))).status == EEXIST);
  const Reply neg = d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.3", 80, -1)));
  CHECK(neg.status == ERANGE);
  CHECK(neg.text().find("weight -1") != std::string::npos);
  auto thr = dest_user("198.18.1.3", 80);
  thr.u_threshold = 10;
  thr.l_threshold = 20;
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, thr)).status == ERANGE);
  CHECK(d.set(IP_VS_SO_SET_EDITDEST, concat(svc, thr)).status == ERANGE);
  CHECK(d.set(IP_VS_SO_SET_EDITDEST, concat(svc, dest_user("198.18.1.9", 80))).status == ENOENT);
  CHECK(d.set(IP_VS_SO_SET_DELDEST, concat(svc, dest_user("198.18.1.9", 80))).status == ENOENT);
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc_user("198.18.0.9", 80), dest_user("198.18.1.3", 80))).status ==
        ESRCH);
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc_user("198.18.0.100", 80, "", 99), dest_user("198.18.1.3", 80)))
            .status == EFAULT);
  const Reply local = d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.3", 80, 1, IP_VS_CONN_F_LOCALNODE)));
  CHECK(local.status == EINVAL);
  CHECK(local.text().find("conn_flags 0x1") != std::string::npos);
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("0.0.0.0", 80))).status == EINVAL);
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.4", 80, 1, IP_VS_CONN_F_TUNNEL))).status == 0);
  CHECK(d.set(IP_VS_SO_SET_ADDDEST, concat(svc, dest_user("198.18.1.5", 80, 1, 5))).status == 0);  // FullNAT
  std::vector<ipvs::DestInfo> dests;
  REQUIRE(d.services.list_dests(ipvs::ServiceKey{IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100),
                                                 htons(80)},
                                &dests)
              .ok());
  REQUIRE(dests.size() == 3);
  CHECK(dests[1].spec.forward == ipvs::ForwardMethod::tunnel);
  CHECK(dests[2].spec.forward == ipvs::ForwardMethod::fullnat);
  // FullNAT shows as masq in the kernel's struct: stock ipvsadm has no name for 5 ("(null)", even in -S).
  const Reply listed = d.get(IP_VS_SO_GET_DESTS, dests_buf(svc, 3));
  REQUIRE(listed.status == 0);
  CHECK((listed.at<ip_vs_dest_entry>(24 + 96).conn_flags & IP_VS_CONN_F_FWD_MASK) == IP_VS_CONN_F_TUNNEL);
  CHECK((listed.at<ip_vs_dest_entry>(24 + 2 * 96).conn_flags & IP_VS_CONN_F_FWD_MASK) == IP_VS_CONN_F_MASQ);
  CHECK(d.set(IP_VS_SO_SET_EDITDEST, concat(svc, dest_user("198.18.1.2", 80, 7))).status == 0);
  CHECK(d.set(IP_VS_SO_SET_DELDEST, concat(svc, dest_user("198.18.1.4", 80))).status == 0);
}

TEST_CASE("sockopt: a service bound to FullNAT runs what the stock tools add as NAT as FullNAT") {
  Daemon d;
  ipvs::ServiceSpec spec;
  spec.key = ipvs::ServiceKey{IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100), htons(80)};
  spec.scheduler = "rr";
  spec.forward = ipvs::ForwardMethod::fullnat;
  REQUIRE(d.services.add_service(spec).ok());
  add_dest(d, "198.18.0.100", 80, "198.18.1.2", 1, IP_VS_CONN_F_MASQ);
  add_dest(d, "198.18.0.100", 80, "198.18.1.3", 1, IP_VS_CONN_F_DROUTE);
  // keepalived's reload edits the service with the kernel struct: the binding stays.
  REQUIRE(d.set_struct(IP_VS_SO_SET_EDIT, svc_user("198.18.0.100", 80, "wlc")).status == 0);
  std::vector<ipvs::DestInfo> dests;
  REQUIRE(d.services.list_dests(spec.key, &dests).ok());
  CHECK(dests[0].spec.forward == ipvs::ForwardMethod::fullnat);
  CHECK(dests[1].spec.forward == ipvs::ForwardMethod::droute);
  ipvs::ServiceInfo info;
  REQUIRE(d.services.get_service(spec.key, &info).ok());
  CHECK(info.spec.forward == ipvs::ForwardMethod::fullnat);
  CHECK(info.spec.scheduler == "wlc");
}

TEST_CASE("sockopt: SET_ZERO with an all-zero service zeroes every counter, with a service that one") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  add_service(d, "198.18.0.101", 80);
  auto& t = d.services.worker_table(1);
  ipvs::WorkerService* a = t.find(IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 100), htons(80));
  ipvs::WorkerService* b = t.find(IPPROTO_TCP, ipvs::Family::v4, ipvs::IpAddr::v4(198, 18, 0, 101), htons(80));
  a->stats.add_conn();
  b->stats.add_conn();
  CHECK(d.set_struct(IP_VS_SO_SET_ZERO, svc_user("198.18.0.100", 80)).status == 0);
  CHECK(a->stats.snapshot().conns == 0);
  CHECK(b->stats.snapshot().conns == 1);
  CHECK(d.set_struct(IP_VS_SO_SET_ZERO, svc_user("198.18.0.102", 80)).status == ESRCH);
  // ipvsadm -Z: protocol 0, netmask ffffffff, nothing else (the trace's bytes).
  CHECK(d.set(IP_VS_SO_SET_ZERO, hex("00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
                                     "00000000 00000000 ffffffff"))
            .status == 0);
  CHECK(b->stats.snapshot().conns == 0);
}

TEST_CASE("sockopt: SET_FLUSH removes every service") {
  Daemon d;
  add_service(d, "198.18.0.100", 80);
  add_service(d, "198.18.0.101", 80);
  CHECK(d.set(IP_VS_SO_SET_FLUSH).status == 0);
  CHECK(d.services.list_services().empty());
  CHECK(d.set(IP_VS_SO_SET_FLUSH).status == 0);
}

TEST_CASE("sockopt: timeouts: zero keeps a value, negative and too large are EINVAL") {
  Daemon d;
  const Reply before = d.get(IP_VS_SO_GET_TIMEOUT, 12);
  REQUIRE(before.payload.size() == 12);
  CHECK(before.at<ip_vs_timeout_user>().tcp_timeout == 900);
  CHECK(before.at<ip_vs_timeout_user>().tcp_fin_timeout == 120);
  CHECK(before.at<ip_vs_timeout_user>().udp_timeout == 300);
  CHECK(d.set_struct(IP_VS_SO_SET_TIMEOUT, ip_vs_timeout_user{7200, 0, 60}).status == 0);
  const auto now = d.get(IP_VS_SO_GET_TIMEOUT, 12).at<ip_vs_timeout_user>();
  CHECK(now.tcp_timeout == 7200);
  CHECK(now.tcp_fin_timeout == 120);
  CHECK(now.udp_timeout == 60);
  const Reply neg = d.set_struct(IP_VS_SO_SET_TIMEOUT, ip_vs_timeout_user{0, -1, 0});
  CHECK(neg.status == EINVAL);
  CHECK(neg.text().find("tcp_fin_timeout -1") != std::string::npos);
  CHECK(d.set_struct(IP_VS_SO_SET_TIMEOUT, ip_vs_timeout_user{100000000, 0, 0}).status == EINVAL);
  CHECK(d.get(IP_VS_SO_GET_TIMEOUT, 12).at<ip_vs_timeout_user>().tcp_timeout == 7200);
}

TEST_CASE("sockopt: no sync daemon: GET_DAEMON says none, STARTDAEMON is refused, STOPDAEMON finds none") {
  Daemon d;
  const Reply g = d.get(IP_VS_SO_GET_DAEMON, 104);
  REQUIRE(g.status == 0);
  REQUIRE(g.payload.size() == 48);
  CHECK(g.payload == Bytes(48, 0));
  // ipvsadm --start-daemon master (the trace's bytes): state 1, "eth0", syncid 0.
  const Reply start = d.set(IP_VS_SO_SET_STARTDAEMON, hex("01000000 65746830 00000000 00000000 00000000 00000000"));
  CHECK(start.status == ENOSYS);
  CHECK(start.text().find("eth0") != std::string::npos);
  ip_vs_daemon_user no_if{};
  no_if.state = 1;
  CHECK(d.set_struct(IP_VS_SO_SET_STARTDAEMON, no_if).status == EINVAL);
  // ipvsadm --stop-daemon master
  CHECK(d.set(IP_VS_SO_SET_STOPDAEMON, hex("01000000 00000000 00000000 00000000 00000000 00000000")).status == ESRCH);
  ip_vs_daemon_user bad{};
  bad.state = 9;
  CHECK(d.set_struct(IP_VS_SO_SET_STOPDAEMON, bad).status == EINVAL);
}

TEST_CASE("sockopt: the range's other numbers answer as the kernel does") {
  Daemon d;
  for (uint32_t id : {IP_VS_SO_SET_NONE, IP_VS_SO_SET_INSERT, IP_VS_SO_SET_LIST, IP_VS_SO_SET_RESTORE,
                      IP_VS_SO_SET_SAVE}) {
    CHECK(d.set(id, Bytes(44, 0)).status == EINVAL);
  }
  CHECK(d.get(IP_VS_SO_GET_DEST, 96).status == EINVAL);
  for (uint32_t id = IP_VS_SO_GET_MAX + 1; id <= 1167; ++id) CHECK(d.get(id, 64).status == ENOPROTOOPT);
}
