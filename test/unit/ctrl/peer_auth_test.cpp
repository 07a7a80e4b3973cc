#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include "peer_auth.hpp"
#include "unique_fd.hpp"

using namespace fulcrum::ctrl;

TEST_CASE("peer auth: CapEff is parsed from /proc/<pid>/status text") {
  const char* status =
      "Name:\tipvsadm\nUmask:\t0022\nCapInh:\t0000000000000000\nCapPrm:\t0000000000001000\n"
      "CapEff:\t0000000000001000\nCapBnd:\t000001ffffffffff\n";
  REQUIRE(parse_cap_eff(status));
  CHECK(*parse_cap_eff(status) == 0x1000);
  CHECK(((*parse_cap_eff(status) >> kCapNetAdmin) & 1) == 1);
  CHECK(*parse_cap_eff("CapEff:\t000001ffffffffff") == 0x1ffffffffffull);
  CHECK_FALSE(parse_cap_eff("Name:\tx\nCapPrm:\t0000000000001000\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\tnot-hex\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\t\n"));
  CHECK_FALSE(parse_cap_eff("XCapEff:\t0000000000001000\n"));
}

TEST_CASE("peer auth: uid 0 passes, others need CAP_NET_ADMIN in their own status") {
  CHECK(may_administer(Peer{-1, 0, 0}));
  CHECK_FALSE(may_administer(Peer{-1, 1000, 1000}));
  CHECK_FALSE(may_administer(Peer{0, 1000, 1000}));
  // The check reads the peer's status: this process's, claimed by another uid than its own (a reused pid, or
  // a setuid exec since it connected), is refused whatever capabilities it holds (peer_auth_ns_test.cpp).
  CHECK_FALSE(may_administer(Peer{static_cast<int>(::getpid()), ::geteuid() + 4242, 4242}));
}

TEST_CASE("peer auth: SO_PEERCRED names the connecting process") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd a(pair[0]), b(pair[1]);
  const auto peer = peer_credentials(a.get());
  REQUIRE(peer);
  CHECK(peer->pid == ::getpid());
  CHECK(peer->uid == ::getuid());
  CHECK(peer->gid == ::getgid());
  CHECK_FALSE(peer_credentials(-1));
}
