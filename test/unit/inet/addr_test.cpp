#include "fulcrum/inet/addr.hpp"

#include <catch2/catch.hpp>

using fulcrum::inet::Addr;
using fulcrum::inet::Family;
using fulcrum::inet::mask;
using fulcrum::inet::Prefix;

TEST_CASE("addresses parse and print in both families") {
  const auto a = Addr::parse("198.18.0.1");
  REQUIRE(a);
  CHECK(a->family == Family::v4);
  CHECK(a->to_string() == "198.18.0.1");
  CHECK(a->bytes[0] == 198);
  CHECK(a->bytes[4] == 0);  // the rest stays zero, so equal addresses are equal bytes
  const auto b = Addr::parse("2001:db8::1");
  REQUIRE(b);
  CHECK(b->family == Family::v6);
  CHECK(b->to_string() == "2001:db8::1");
  CHECK_FALSE(Addr::parse("198.18.0.300"));
  CHECK_FALSE(Addr::parse("2001:db8::g"));
  CHECK_FALSE(Addr::parse(""));
  CHECK_FALSE(Addr::parse("198.18.0.1", Family::v6));
  CHECK_FALSE(Addr::parse("::1", Family::v4));
}

TEST_CASE("address kinds") {
  CHECK(Addr::parse("224.0.0.1")->is_multicast());
  CHECK(Addr::parse("ff02::1")->is_multicast());
  CHECK(Addr::parse("127.0.0.5")->is_loopback());
  CHECK(Addr::parse("::1")->is_loopback());
  CHECK(Addr::parse("0.0.0.0")->is_unspecified());
  CHECK(Addr::parse("::")->is_unspecified());
  CHECK(Addr::parse("255.255.255.255")->is_limited_broadcast());
  CHECK(Addr::parse("fe80::1")->is_link_local());
  CHECK(Addr::parse("169.254.3.4")->is_link_local());
  CHECK_FALSE(Addr::parse("198.18.0.1")->is_multicast());
}

TEST_CASE("prefixes: lengths, default, masks and containment") {
  const auto p = Prefix::parse("198.18.0.0/24");
  REQUIRE(p);
  CHECK(p->len == 24);
  CHECK(p->to_string() == "198.18.0.0/24");
  CHECK(p->contains(*Addr::parse("198.18.0.77")));
  CHECK_FALSE(p->contains(*Addr::parse("198.18.1.1")));
  CHECK_FALSE(p->contains(*Addr::parse("2001:db8::1")));
  CHECK(Prefix::parse("198.18.0.1")->len == 32);
  CHECK(Prefix::parse("2001:db8::/32")->len == 32);
  CHECK(Prefix::parse("default")->is_default());
  CHECK(Prefix::parse("default", Family::v6)->addr.family == Family::v6);
  CHECK(Prefix::parse("default")->contains(*Addr::parse("8.8.8.8")));
  CHECK_FALSE(Prefix::parse("198.18.0.0/33"));
  CHECK_FALSE(Prefix::parse("2001:db8::/129"));
  CHECK_FALSE(Prefix::parse("198.18.0.0/"));
  CHECK_FALSE(Prefix::parse("198.18.0.0/2x"));
  CHECK(mask(*Addr::parse("198.18.0.77"), 24) == *Addr::parse("198.18.0.0"));
  CHECK(mask(*Addr::parse("2001:db8:1:2::5"), 48) == *Addr::parse("2001:db8:1::"));
  CHECK(mask(*Addr::parse("198.18.0.77"), 0) == *Addr::parse("0.0.0.0"));
}
