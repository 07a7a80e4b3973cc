// Who gets CAP_NET_ADMIN's pass on the control socket: the capability held in the daemon's own user
// namespace, by the uid that connected (peer_auth.hpp, grants_admin).

#include <catch2/catch.hpp>

#include "peer_auth.hpp"

using namespace fulcrum::ctrl;

namespace {

constexpr uint64_t kNetAdmin = 1ull << kCapNetAdmin;
constexpr uint64_t kAllCaps = 0x1ffffffffffull;

}  // namespace

TEST_CASE("peer auth: the effective uid is the Uid line's second number") {
  const char* status = "Name:\tka\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
  REQUIRE(parse_euid(status));
  CHECK(*parse_euid(status) == 0);
  CHECK(*parse_euid("Uid:\t65534\t65534\t65534\t65534") == 65534);
  CHECK_FALSE(parse_euid("Name:\tx\nGid:\t1\t1\t1\t1\n"));
  CHECK_FALSE(parse_euid("Uid:\t1000\n"));
  CHECK_FALSE(parse_euid("Uid:\tx\ty\n"));
  CHECK_FALSE(parse_euid("XUid:\t1\t1\t1\t1\n"));
}

TEST_CASE("peer auth: CAP_NET_ADMIN counts in our user namespace only, for the uid that connected") {
  const Peer peer{1234, 1000, 1000};
  CHECK(grants_admin(peer, kNetAdmin, 1000u, true));
  // Every capability, but in a user namespace of its own (unshare -Ur): refused.
  CHECK_FALSE(grants_admin(peer, kAllCaps, 1000u, false));
  // The process behind the pid is no longer the uid that connected: a setuid exec, or the pid reused.
  CHECK_FALSE(grants_admin(peer, kAllCaps, 0u, true));
  CHECK_FALSE(grants_admin(peer, kNetAdmin, 1001u, true));
  // No CAP_NET_ADMIN, or a status we could not read.
  CHECK_FALSE(grants_admin(peer, kAllCaps & ~kNetAdmin, 1000u, true));
  CHECK_FALSE(grants_admin(peer, std::nullopt, 1000u, true));
  CHECK_FALSE(grants_admin(peer, kNetAdmin, std::nullopt, true));
}
