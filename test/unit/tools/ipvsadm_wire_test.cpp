// What ipvsadm sends fulcrumd: the kernel structs byte for byte as stock ipvsadm sent them (hexdumps of its
// setsockopt calls), and the extension records field by field; and what it reads back.

#include <arpa/inet.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ipvsadm_states.hpp"
#include "options.hpp"
#include "wire.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

Command command(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"ipvsadm"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(nullptr);
  const ParseResult r = parse_command_line(static_cast<int>(argv.size() - 1), argv.data(), false);
  INFO(r.message);
  REQUIRE(r.kind == ParseResult::Kind::run);
  return r.command;
}

// Words of 4 bytes in hex, as the capture of stock ipvsadm's setsockopt payloads shows them.
template <class T>
std::string hexdump(const T& v) {
  const auto* b = reinterpret_cast<const unsigned char*>(&v);
  std::string out;
  char buf[3];
  for (size_t i = 0; i < sizeof v; ++i) {
    if (i % 4 == 0 && i != 0) out += ' ';
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("ipvsadm --set and the sync daemon travel in the kernel's structs, as stock sends them") {
  CHECK(hexdump(encode_timeout(command({"--set", "1", "2", "3"}))) == "01000000 02000000 03000000");
  CHECK(hexdump(encode_daemon(command({"--start-daemon", "master"}))) ==
        "01000000 65746830 00000000 00000000 00000000 00000000");
  CHECK(hexdump(encode_daemon(command({"--start-daemon", "master", "--mcast-interface", "eth1", "--syncid", "5"}))) ==
        "01000000 65746831 00000000 00000000 00000000 05000000");
  CHECK(hexdump(encode_daemon(command({"--stop-daemon", "backup"}))) ==
        "02000000 00000000 00000000 00000000 00000000 00000000");
}

TEST_CASE("ipvsadm -A and -E: a ServiceReq") {
  msg::ServiceReq r = encode_service_req(command({"-A", "-t", "198.18.0.100:80", "-s", "rr"}));
  CHECK(r.version == msg::kVersion);
  CHECK(r.key.protocol == 6);
  CHECK(r.key.family == 4);
  CHECK(r.key.port == htons(80));
  CHECK(std::memcmp(r.key.addr, addr("198.18.0.100").bytes.data(), 16) == 0);
  CHECK(std::string(r.sched_name) == "rr");
  CHECK(r.flags == 0);
  CHECK(r.has_netmask == 0);
  CHECK(r.forward == msg::fwd_masq);

  r = encode_service_req(
      command({"-E", "-u", "[2001:db8::1]:53", "-s", "sh", "-p", "60", "-M", "64", "-b", "sh-port", "--fullnat"}));
  CHECK(r.key.protocol == 17);
  CHECK(r.key.family == 6);
  CHECK(r.flags == (msg::svc_persistent | msg::svc_sched2));
  CHECK(r.timeout_s == 60);
  CHECK(r.has_netmask == 1);
  CHECK(r.netmask == 64);
  CHECK(r.forward == msg::fwd_fullnat);
  CHECK(r.toa_off == 0);
  CHECK(encode_service_req(command({"-A", "-t", "198.18.0.100:80", "--fullnat", "--no-toa"})).toa_off == 1);

  r = encode_service_req(command({"-A", "-t", "198.18.0.100:80", "-p", "-M", "255.255.255.0"}));
  CHECK(r.netmask == 0xffffff00);  // host order
  CHECK(r.timeout_s == 360);
}

TEST_CASE("ipvsadm -a, -e, -d: a DestReq") {
  msg::DestReq r = encode_dest_req(
      command({"-a", "-t", "198.18.0.100:80", "-r", "198.18.1.2:8080", "-m", "-w", "2", "-x", "100", "-y", "50"}));
  CHECK(r.key.port == htons(80));
  CHECK(std::memcmp(r.addr, addr("198.18.1.2").bytes.data(), 16) == 0);
  CHECK(r.port == htons(8080));
  CHECK(r.family == 4);
  CHECK(r.forward == msg::fwd_masq);
  CHECK(r.weight == 2);
  CHECK(r.u_threshold == 100);
  CHECK(r.l_threshold == 50);
  CHECK(encode_dest_req(command({"-e", "-t", "198.18.0.100:80", "-r", "198.18.1.2", "-b"})).forward ==
        msg::fwd_fullnat);
  CHECK(encode_dest_req(command({"-e", "-t", "198.18.0.100:80", "-r", "198.18.1.2", "-i"})).forward == msg::fwd_tunnel);
  CHECK(encode_dest_req(command({"-d", "-t", "198.18.0.100:80", "-r", "198.18.1.2"})).forward == msg::fwd_droute);
}

TEST_CASE("ipvsadm -Z: one service or all; -P/-Q: a LaddrReq") {
  CHECK(encode_zero_req(command({"-Z"})).all == 1);
  const msg::ZeroReq z = encode_zero_req(command({"-Z", "-t", "198.18.0.100:80"}));
  CHECK(z.all == 0);
  CHECK(z.key.port == htons(80));
  const msg::LaddrReq l = encode_laddr_req(command({"-P", "-t", "[2001:db8::100]:80", "-z", "2001:db8:2::1"}));
  CHECK(l.key.family == 6);
  CHECK(l.family == 6);
  CHECK(std::memcmp(l.addr, addr("2001:db8:2::1").bytes.data(), 16) == 0);
}

TEST_CASE("services and real servers read back from their entries") {
  msg::ServiceEntry e{};
  e.key = encode_key(kProtoUdp, addr("198.18.0.101"), 53);
  e.key.addr[10] = 0xee;  // bytes past an IPv4 address do not count
  std::strcpy(e.sched_name, "wlc");
  e.flags = msg::svc_persistent;
  e.timeout_s = 360;
  e.netmask = 0xffffff00;
  e.forward = msg::fwd_fullnat;
  e.toa_off = 1;
  e.num_dests = 1;
  e.stats.outbytes = 9876543210ULL;
  const Service s = decode_service(e);
  CHECK(s.protocol == kProtoUdp);
  CHECK(s.addr == addr("198.18.0.101"));
  CHECK(s.port == 53);
  CHECK(s.sched == "wlc");
  CHECK(s.netmask == 0xffffff00);
  CHECK(s.forward == fwd_fullnat);
  CHECK(s.toa_off);
  CHECK(s.stats.outbytes == 9876543210ULL);

  msg::DestEntry d{};
  std::memcpy(d.addr, addr("2001:db8::2").bytes.data(), 16);
  d.family = 6;
  d.port = htons(8080);
  d.forward = msg::fwd_tunnel;
  d.weight = 7;
  d.activeconns = 3;
  d.inactconns = 4;
  d.persistconns = 5;
  const Dest x = decode_dest(d);
  CHECK(x.addr == addr("2001:db8::2"));
  CHECK(x.port == 8080);
  CHECK(x.forward == fwd_tunnel);
  CHECK(x.weight == 7);
  CHECK(x.activeconns == 3);
  CHECK(x.inactconns == 4);
  CHECK(x.persistconns == 5);
}

}  // namespace fulcrum::ipvsadm::test
