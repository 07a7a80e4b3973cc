// --list-snat: the option and its listing of fulcrumd's SNAT rules.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "options.hpp"
#include "snat_list.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

ParseResult parse_snat_args(std::vector<const char*> args) {
  args.insert(args.begin(), "ipvsadm");
  args.push_back(nullptr);
  return parse_command_line(static_cast<int>(args.size() - 1), args.data(), false);
}

Addr snat_ip(const char* text) {
  Addr a;
  a.family = inet_pton(AF_INET, text, a.bytes.data()) == 1 ? 4 : 6;
  if (a.family == 6) inet_pton(AF_INET6, text, a.bytes.data());
  return a;
}

}  // namespace

TEST_CASE("ipvsadm list-snat: the command, -n allowed, nothing else") {
  ParseResult r = parse_snat_args({"--list-snat"});
  REQUIRE(r.kind == ParseResult::Kind::run);
  CHECK(r.command.cmd == Cmd::list_snat);
  CHECK(parse_snat_args({"--list-snat", "-n"}).kind == ParseResult::Kind::run);
  r = parse_snat_args({"--list-snat", "-t", "198.18.0.100:80"});
  REQUIRE(r.kind == ParseResult::Kind::fail);
  CHECK(r.message == "Illegal 'service-address' option with the 'list-snat' command\n");
}

TEST_CASE("ipvsadm list-snat: one line per rule, in match order") {
  SnatRule tcp{snat_ip("198.18.0.0"), 27, IPPROTO_TCP, 8080, 8080, {snat_ip("198.18.1.20")}};
  SnatRule range{snat_ip("198.18.0.0"), 24, IPPROTO_UDP, 5000, 5999,
                 {snat_ip("198.18.1.21"), snat_ip("198.18.1.22")}};
  SnatRule any6{snat_ip("2001:db8::"), 122, 0, 0, 65535, {snat_ip("2001:db8:1::20")}};
  CHECK(format_snat_rules({tcp, range, any6}) ==
        "Source                                       Prot DestPorts   LocalAddresses\n"
        "198.18.0.0/27                                TCP  8080        198.18.1.20\n"
        "198.18.0.0/24                                UDP  5000-5999   198.18.1.21,198.18.1.22\n"
        "2001:db8::/122                               any  any         2001:db8:1::20\n");
  CHECK(format_snat_rules({}) == "Source                                       Prot DestPorts   LocalAddresses\n");
}

}  // namespace fulcrum::ipvsadm::test
