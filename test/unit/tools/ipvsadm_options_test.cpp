// ipvsadm's command line: what stock ipvsadm 1.31 accepted (and the values it sent for it), what it refused
// with which words and exit code (all read off the stock binary), and Fulcrum's extensions.

#include <netdb.h>

#include <initializer_list>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ipvsadm_states.hpp"
#include "listing.hpp"
#include "options.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

ParseResult parse(std::initializer_list<const char*> args, bool reading_stdin = false) {
  std::vector<const char*> argv{"ipvsadm"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(nullptr);
  return parse_command_line(static_cast<int>(argv.size() - 1), argv.data(), reading_stdin);
}

Command ok(std::initializer_list<const char*> args) {
  const ParseResult r = parse(args);
  INFO(r.message);
  REQUIRE(r.kind == ParseResult::Kind::run);
  return r.command;
}

void refused(std::initializer_list<const char*> args, int code, const std::string& message) {
  const ParseResult r = parse(args);
  REQUIRE(r.kind == ParseResult::Kind::fail);
  CHECK(r.exit_code == code);
  CHECK(r.message == message + "\n");
}

const std::string kTryHelp = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";

}  // namespace

TEST_CASE("the command comes first; without one, stock's hint and 255") {
  refused({"-n", "-L"}, 255, kTryHelp);
  refused({"-t", "1.2.3.4:80"}, 255, kTryHelp);
  refused({"--bogus"}, 255, kTryHelp);
  refused({"-q"}, 255, kTryHelp);
  refused({"list"}, 255, kTryHelp);
  CHECK(parse({"-h"}).kind == ParseResult::Kind::help);
  CHECK(parse({"--version"}).kind == ParseResult::Kind::version);
}

TEST_CASE("popt's own errors after the command: 255") {
  refused({"-A", "-t", "1.2.3.4:80", "-s"}, 255, "-s: missing argument");
  refused({"-A", "--bogus"}, 255, "--bogus: unknown option");
}

TEST_CASE("a second command or -h after the command is an invalid option") {
  refused({"-A", "-D"}, 2, "invalid option `-D'");
  refused({"-L", "-h"}, 2, "invalid option `-h'");
}

TEST_CASE("service addresses") {
  Command c = ok({"-A", "-t", "198.18.0.100:80", "-s", "rr"});
  CHECK(c.cmd == Cmd::add);
  CHECK(c.protocol == kProtoTcp);
  CHECK(c.addr == addr("198.18.0.100"));
  CHECK(c.port == 80);
  CHECK(c.sched == "rr");
  CHECK(c.netmask == 0xffffffff);

  c = ok({"-A", "-u", "[2001:db8::100]:53", "-s", "rr"});
  CHECK(c.protocol == kProtoUdp);
  CHECK(c.addr == addr("2001:db8::100"));
  CHECK(c.port == 53);
  CHECK(c.netmask == 128);

  c = ok({"-A", "--sctp-service", "198.18.0.1:9", "-s", "rr"});
  CHECK(c.protocol == kProtoSctp);

  c = ok({"-D", "-t", "10.1:80"});  // inet_aton's short forms, as stock reads them
  CHECK(c.addr == addr("10.0.0.1"));

  for (const char* bad : {"1.2.3.4:99999", ":80", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:80x", "bogus..name:80", "80",
                          "[2001:db8::1]", "[198.18.0.1]:80", "[2001:db8::1:80"}) {
    INFO(bad);
    refused({"-A", "-t", bad}, 2, "illegal virtual server address[:port] specified");
  }
  refused({"-A", "-t", "1.2.3.4:80", "-t", "1.2.3.5:80"}, 2, "multiple 'service-address' options specified");
}

TEST_CASE("port names come from /etc/services", "[services]") {
  if (getservbyname("http", "tcp") == nullptr) {
    WARN("no /etc/services entry for http: skipped");
    return;
  }
  const Command c = ok({"-A", "-t", "1.2.3.4:http", "-p"});
  CHECK(c.port == 80);
  CHECK(c.flags == svc_persistent);
  CHECK(c.timeout == 360);
  CHECK(c.sched == "wlc");
}

TEST_CASE("ipvsadm -A/-E: defaults, persistence, netmasks, one-packet scheduling, zero port") {
  refused({"-A", "-t", "1.2.3.4", "-s", "rr"}, 2, "Zero port specified for non-persistent service");
  refused({"-A", "-t", "1.2.3.4:0", "-s", "rr"}, 2, "Zero port specified for non-persistent service");
  CHECK(ok({"-A", "-t", "1.2.3.4:0", "-p", "60"}).timeout == 60);

  refused({"-A", "-t", "1.2.3.4:53", "-s", "rr", "-o"}, 2, "One-Packet Scheduling is only for UDP virtual services");
  CHECK(ok({"-A", "-u", "1.2.3.4:53", "-s", "rr", "-o"}).flags == svc_onepacket);

  refused({"-A", "-t", "1.2.3.4:80", "-p", "0"}, 2, "invalid timeout value `0' specified");
  refused({"-A", "-t", "1.2.3.4:80", "-p", "abc"}, 2, "invalid timeout value `abc' specified");
  refused({"-A", "-t", "1.2.3.4:80", "-p", "2678401"}, 2, "invalid timeout value `2678401' specified");
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-p", "2678400"}).timeout == 2678400);

  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-M", "255.255.0.0"}).netmask == 0xffff0000);
  CHECK(ok({"-E", "-t", "1.2.3.4:80", "-p", "100", "-M", "24"}).netmask == 24);  // inet_aton: 0.0.0.24
  refused({"-A", "-t", "1.2.3.4:80", "-M", "1.2.3.4.5"}, 2, "illegal virtual server persistent mask specified");
  CHECK(ok({"-A", "-t", "[2001:db8::1]:80", "-M", "64"}).netmask == 64);
  refused({"-A", "-t", "[2001:db8::1]:80", "-M", "200"}, 2, "illegal ipv6 netmask specified");

  // The scheduler name is cut to the kernel's 15 characters; fulcrumd then refuses it as unknown.
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-s", "abcdefghijklmnopqrstuvwxyz"}).sched == "abcdefghijklmno");
  CHECK(ok({"-E", "-t", "1.2.3.4:80"}).sched == "wlc");

  refused({"-A", "-t", "1.2.3.4:80", "-w", "3"}, 2, "Illegal 'weight' option with the 'add-service' command");
  refused({"-A", "-t", "1.2.3.4:80", "-r", "1.1.1.1"}, 2,
          "Illegal 'real-server' option with the 'add-service' command");
}

TEST_CASE("scheduler flags are checked against the final scheduler") {
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-s", "sh", "-b", "sh-port,sh-fallback,flag-3"}).flags ==
        (svc_sched1 | svc_sched2 | svc_sched3));
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-b", "sh-port", "-s", "sh"}).flags == svc_sched2);
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-b", "flag-1", "-s", "sh"}).flags == svc_sched1);
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-s", "sh", "-b", "sh-port,"}).flags == svc_sched2);
  CHECK(ok({"-A", "-t", "1.2.3.4:80", "-s", "mh", "--sched-flags", "mh-fallback"}).flags == svc_sched1);
  refused({"-A", "-t", "1.2.3.4:80", "-b", "bogus"}, 2, "invalid scheduler flag `bogus'");
  refused({"-A", "-t", "1.2.3.4:80", "-s", "rr", "-b", "sh-port"}, 2, "incompatible scheduler flag `sh-port'");
  refused({"-A", "-t", "1.2.3.4:80", "-b", "mh-port"}, 2, "incompatible scheduler flag `mh-port'");
}

TEST_CASE("ipvsadm -a/-e/-d: real servers, forwarding methods, weights, thresholds") {
  Command c = ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:90", "-m", "-x", "10", "-y", "20"});
  CHECK(c.cmd == Cmd::adddest);
  CHECK(c.daddr == addr("1.1.1.1"));
  CHECK(c.dport == 90);
  CHECK(c.forward == fwd_masq);
  CHECK(c.weight == 1);
  CHECK(c.u_threshold == 10);
  CHECK(c.l_threshold == 20);

  // Direct routing (the default) and tunnelling keep the virtual port.
  c = ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:81"});
  CHECK(c.forward == fwd_droute);
  CHECK(c.dport == 80);
  CHECK(ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:90", "-i"}).dport == 80);
  CHECK(ok({"-e", "-t", "1.2.3.4:80", "-r", "1.1.1.1:81", "-m"}).dport == 81);
  CHECK(ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-m"}).dport == 80);
  CHECK(ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-w", "70000"}).weight == 70000);

  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-w", "-1"}, 2, "illegal weight specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-w", "1", "-w", "2"}, 2, "multiple 'weight' options specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-x", "abc"}, 2, "illegal u_threshold specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-y", "-3"}, 2, "illegal l_threshold specified");
  refused({"-a", "-t", "1.2.3.4:80", "-w", "1"}, 2,
          "You need to supply the 'real-server' option for the 'add-server' command");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:90", "-m", "-g"}, 2,
          "multiple 'forwarding-method' options specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "nope..x"}, 2, "illegal real server address[:port] specified");
  refused({"-a", "-t", "[2001:db8::100]:80", "-r", "198.18.1.2:80", "-m"}, 2,
          "Different address family is allowed only for tunneling servers");
  refused({"-d", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-w", "2"}, 2,
          "Illegal 'weight' option with the 'delete-server' command");
}

TEST_CASE("tunnel options: ipip only") {
  CHECK(ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-type", "ipip"}).forward == fwd_tunnel);
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-m", "--tun-type", "ipip"}, 2,
          "Tunnel options conflict with forward method");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-type", "gue"}, 2,
          "--tun-type gue: fulcrumd tunnels with ipip only");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-type", "vxlan"}, 2, "illegal tunnel type specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-i", "--tun-port", "6080"}, 2,
          "Illegal 'tun-port' option with the 'ipip' tunnel type");
}

TEST_CASE("ipvsadm -L: one listing at a time, and the formats that go with it") {
  refused({"-L", "-c", "--stats"}, 2, "options conflicts in the list command");
  refused({"-L", "-n", "-c", "--rate"}, 2, "options conflicts in the list command");
  refused({"-L", "-n", "--timeout", "--persistent-conn"}, 2, "options conflicts in the list command");
  refused({"-L", "--timeout", "--daemon"}, 2,
          "The option 'daemon' conflicts with the 'timeout' option in the 'list' command");
  refused({"-L", "-n", "-c", "--timeout"}, 2,
          "The option 'timeout' conflicts with the 'connection' option in the 'list' command");
  refused({"-L", "-c", "-t", "1.1.1.1:80"}, 2,
          "The option 'service-address' conflicts with the 'connection' option in the 'list' command");
  refused({"-L", "-n", "-n"}, 2, "multiple 'numeric' options specified");
  refused({"-L", "-n", "--fullnat-conn"}, 2,
          "--fullnat-conn: only with -c/--connection (ipvsadm -L -n -c --fullnat-conn)");
  CHECK(ok({"-Lnc", "--persistent-conn"}).format == (fmt_numeric | fmt_persistentconn));
  CHECK(ok({"-L", "-n", "--sort", "--sort"}).format == fmt_numeric);
  CHECK(ok({"-l", "--stats", "--exact", "--nosort"}).format == (fmt_stats | fmt_exact | fmt_nosort));
  refused({"-S", "-n", "--nosort"}, 2, "Illegal 'nosort' option with the 'save' command");
  refused({"-Z", "-t", "1.2.3.4:80", "-n"}, 2, "Illegal 'numeric' option with the 'zero' command");
}

TEST_CASE("ipvsadm --set, the sync daemon, and arguments left over") {
  Command c = ok({"--set", "900", "120", "300"});
  CHECK(c.cmd == Cmd::timeout);
  CHECK(c.tcp_timeout == 900);
  CHECK(c.tcp_fin_timeout == 120);
  CHECK(c.udp_timeout == 300);
  refused({"--set", "1", "2"}, 2, "--set option requires 3 timeout values");
  refused({"--set", "1", "2", "x"}, 2, "invalid timeout value `x' specified");
  refused({"--set", "0", "0", "2678401"}, 2, "invalid timeout value `2678401' specified");
  refused({"--set", "1", "2", "3", "4"}, 2, "unexpected argument 4");
  refused({"-A", "-t", "1.2.3.4:80", "extra"}, 2, "unexpected argument extra");

  c = ok({"--start-daemon", "master"});
  CHECK(c.daemon_state == 1);
  CHECK(c.mcast_ifn == "eth0");
  c = ok({"--start-daemon", "backup", "--mcast-interface", "eth1", "--syncid", "5"});
  CHECK(c.daemon_state == 2);
  CHECK(c.mcast_ifn == "eth1");
  CHECK(c.syncid == 5);
  refused({"--start-daemon", "foo"}, 2, "illegal start-daemon parameter specified");
  refused({"--stop-daemon", "foo"}, 2, "illegal start_daemon specified");
  refused({"--start-daemon", "backup", "--syncid", "300"}, 2, "illegal syncid specified");
  refused({"--start-daemon", "master", "--mcast-group", "224.0.0.81"}, 2,
          "--mcast-group 224.0.0.81: fulcrumd's sync daemon takes only --mcast-interface and --syncid");
  refused({"--start-daemon", "master", "--mcast-group", "nope"}, 2, "invalid IPv4 mcast-group `nope'");
}

TEST_CASE("what fulcrumd does not have is refused by name") {
  refused({"-A", "-f", "0"}, 2, "invalid fwmark value `0' specified");
  refused({"-A", "-6", "-f", "12"}, 2, "-6 used before -f\n");
  refused({"-A", "-f", "12"}, 2, "-f 12: fwmark services are not supported by fulcrumd (use -t, -u or --sctp-service)");
  refused({"-L", "-n", "-f", "12", "-6"}, 2,
          "-f 12: fwmark services are not supported by fulcrumd (use -t, -u or --sctp-service)");
  refused({"-A", "-t", "1.2.3.4:80", "--pe", "sip"}, 2, "--pe sip: persistence engines are not supported by fulcrumd");
}

TEST_CASE("ipvsadm -b/--fullnat: a forwarding method with -a/-e, the service's binding with -A/-E") {
  Command c = ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1:8080", "-b"});
  CHECK(c.forward == fwd_fullnat);
  CHECK(c.dport == 8080);  // FullNAT, like NAT, may change the port
  c = ok({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-b", "-w", "2"});
  CHECK(c.forward == fwd_fullnat);
  CHECK(c.weight == 2);
  CHECK(ok({"-e", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "--fullnat"}).forward == fwd_fullnat);
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-b", "-m"}, 2, "multiple 'forwarding-method' options specified");
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "-b", "sh-port"}, 2,
          "-b/--fullnat takes no value with -a/-e, got `sh-port' (scheduler flags go with -A/-E)");

  c = ok({"-A", "-t", "1.2.3.4:80", "-s", "rr", "-b"});
  CHECK(c.has(opt_fullnat));
  CHECK(c.flags == 0);
  c = ok({"-A", "-t", "1.2.3.4:80", "-s", "sh", "-b", "sh-port", "--fullnat"});
  CHECK(c.has(opt_fullnat));
  CHECK(c.flags == svc_sched2);
  refused({"-D", "-t", "1.2.3.4:80", "--fullnat"}, 2, "Illegal 'fullnat' option with the 'delete-service' command");
  CHECK(ok({"-E", "-t", "1.2.3.4:80", "--fullnat", "--no-toa"}).has(opt_no_toa));
  refused({"-a", "-t", "1.2.3.4:80", "-r", "1.1.1.1", "--no-toa"}, 2,
          "Illegal 'no-toa' option with the 'add-server' command");
}

TEST_CASE("local-address groups and counters") {
  Command c = ok({"-P", "-t", "198.18.0.100:80", "-z", "198.18.2.1"});
  CHECK(c.cmd == Cmd::add_laddr);
  CHECK(c.laddr == addr("198.18.2.1"));
  c = ok({"--del-laddr", "-t", "[2001:db8::100]:80", "--laddr", "2001:db8:2::1"});
  CHECK(c.cmd == Cmd::del_laddr);
  CHECK(c.laddr == addr("2001:db8:2::1"));
  refused({"-P", "-t", "198.18.0.100:80"}, 2, "You need to supply the 'laddr' option for the 'add-laddr' command");
  refused({"-Q", "-z", "198.18.2.1"}, 2, "You need to supply the 'service-address' option for the 'del-laddr' command");
  refused({"-P", "-t", "198.18.0.100:80", "-z", "198.18.2.1:80"}, 2,
          "-z/--laddr: illegal local address `198.18.2.1:80' specified");
  CHECK(ok({"-G"}).cmd == Cmd::get_laddr);
  CHECK(ok({"-G", "-t", "198.18.0.100:80", "--per-worker"}).has(opt_per_worker));
  CHECK(ok({"--counters", "--per-worker"}).cmd == Cmd::counters);
  refused({"--counters", "-n"}, 2, "Illegal 'numeric' option with the 'counters' command");
  refused({"-L", "--per-worker"}, 2, "Illegal 'per-worker' option with the 'list' command");
}

TEST_CASE("ipvsadm -R inside -R is refused") {
  const ParseResult r = parse({"-R"}, true);
  CHECK(r.kind == ParseResult::Kind::fail);
  CHECK(r.exit_code == 255);
  CHECK(parse({"-R"}).kind == ParseResult::Kind::run);
}

}  // namespace fulcrum::ipvsadm::test
