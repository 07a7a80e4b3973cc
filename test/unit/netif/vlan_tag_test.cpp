#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "vlan_tag.hpp"

using namespace fulcrum::netif;

namespace {
// dst 02:..:01, src 02:..:02, then an ethertype and two payload bytes.
constexpr std::array<uint8_t, 16> kUntagged = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5, 0xaa, 0xbb};
}  // namespace

TEST_CASE("insert puts 0x8100 and the TCI between the addresses and the ethertype") {
  std::array<uint8_t, 4 + 16> buf{};
  std::copy(kUntagged.begin(), kUntagged.end(), buf.begin() + 4);
  vlan_insert_bytes(buf.data() + 4, 0x2064);  // PCP 1, VID 100
  const std::array<uint8_t, 20> expected = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0,    0,   0x02,
                                            0x81, 0, 0x20, 0x64, 0x88, 0xb5, 0xaa, 0xbb};
  CHECK(buf == expected);
  CHECK(vlan_tci_of(buf.data()) == 0x2064);
  CHECK((vlan_tci_of(buf.data()) & kVlanIdMask) == 100);
}

TEST_CASE("strip undoes insert: the untagged frame starts 4 bytes on") {
  std::array<uint8_t, 4 + 16> buf{};
  std::copy(kUntagged.begin(), kUntagged.end(), buf.begin() + 4);
  vlan_insert_bytes(buf.data() + 4, 4094);
  vlan_strip_bytes(buf.data());
  CHECK(std::equal(kUntagged.begin(), kUntagged.end(), buf.begin() + 4));
}
