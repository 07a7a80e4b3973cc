// --list-bindings: the option and its listing of fulcrumd's per-VIP bindings.

#include <arpa/inet.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "binding_list.hpp"
#include "options.hpp"

namespace fulcrum::ipvsadm::test {
namespace {

ParseResult parse_args(std::vector<const char*> args) {
  args.insert(args.begin(), "ipvsadm");
  args.push_back(nullptr);
  return parse_command_line(static_cast<int>(args.size() - 1), args.data(), false);
}

Addr ip(const char* text) {
  Addr a;
  a.family = inet_pton(AF_INET, text, a.bytes.data()) == 1 ? 4 : 6;
  if (a.family == 6) inet_pton(AF_INET6, text, a.bytes.data());
  return a;
}

}  // namespace

TEST_CASE("ipvsadm list-bindings: the command, -n allowed, nothing else") {
  ParseResult r = parse_args({"--list-bindings"});
  REQUIRE(r.kind == ParseResult::Kind::run);
  CHECK(r.command.cmd == Cmd::list_bindings);
  CHECK(parse_args({"--list-bindings", "-n"}).kind == ParseResult::Kind::run);
  r = parse_args({"--list-bindings", "-t", "198.18.0.100:80"});
  REQUIRE(r.kind == ParseResult::Kind::fail);
  CHECK(r.message == "Illegal 'service-address' option with the 'list-bindings' command\n");
}

TEST_CASE("ipvsadm list-bindings: one line per VIP") {
  VipBinding v4{ip("198.18.0.100"), fwd_fullnat, false, {ip("198.18.1.10"), ip("198.18.1.11")}};
  VipBinding v6{ip("2001:db8::100"), fwd_fullnat, true, {ip("2001:db8:1::10")}};
  CHECK(format_bindings({v4, v6}) ==
        "VirtualAddress                           Forward TOA  LocalAddresses\n"
        "198.18.0.100                             FullNat on   198.18.1.10,198.18.1.11\n"
        "2001:db8::100                            FullNat off  2001:db8:1::10\n");
  CHECK(format_bindings({}) == "VirtualAddress                           Forward TOA  LocalAddresses\n");
}

}  // namespace fulcrum::ipvsadm::test
