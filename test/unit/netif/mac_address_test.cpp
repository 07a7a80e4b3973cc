#include <catch2/catch.hpp>

#include "fulcrum/netif/mac_address.hpp"

using fulcrum::netif::MacAddress;

TEST_CASE("MAC addresses parse in the usual spellings and print canonically") {
  auto mac = MacAddress::parse("02:00:C6:12:0:1");
  REQUIRE(mac);
  CHECK(mac->to_string() == "02:00:c6:12:00:01");
  CHECK(MacAddress::parse("02-00-c6-12-00-01") == mac);
  CHECK_FALSE(mac->is_group());
  CHECK(MacAddress::parse("ff:ff:ff:ff:ff:ff")->is_group());
  CHECK(MacAddress::parse("00:00:00:00:00:00")->is_zero());
}

TEST_CASE("malformed MAC addresses are refused") {
  for (const char* bad : {"", "02:00:c6:12:00", "02:00:c6:12:00:01:02", "02:00:c6:12:00:1g", "020:00:c6:12:00:01",
                          "02::c6:12:00:01", "02:00:c6:12:00:01 ", "02.00.c6.12.00.01"}) {
    INFO(bad);
    CHECK_FALSE(MacAddress::parse(bad));
  }
}
