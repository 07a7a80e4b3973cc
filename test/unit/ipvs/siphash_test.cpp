#include "sched/siphash.hpp"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "sched/hash_keys.hpp"
#include "sched_test_util.hpp"

using fulcrum::ipvs::sched::KeyBytes;
using fulcrum::ipvs::sched::SipKey;

TEST_CASE("siphash-2-4 gives the published test vectors") {
  // Key 00 01 .. 0f, message 00 01 .. (len - 1): the first 20 vectors of the reference implementation.
  const SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  const uint64_t expected[] = {
      0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
      0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
      0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
      0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
      0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
  };
  uint8_t msg[20];
  for (int i = 0; i < 20; ++i) msg[i] = static_cast<uint8_t>(i);
  for (size_t len = 0; len < 20; ++len) {
    INFO("length " << len);
    CHECK(fulcrum::ipvs::sched::siphash24(key, msg, len) == expected[len]);
  }
}

TEST_CASE("siphash-1-3 is pinned: the schedulers' placements depend on it") {
  // No published vectors for 1-3; this value pins it, so that a change is deliberate (it would move every
  // client of sh, dh, mh and conhash on every balancer, and balancers of different versions would disagree).
  const SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<uint8_t>(i);
  CHECK(fulcrum::ipvs::sched::siphash13(key, msg, 15) == 0xd320d86d2a519956ull);
  CHECK(fulcrum::ipvs::sched::siphash13(key, msg, 15) != fulcrum::ipvs::sched::siphash24(key, msg, 15));
  CHECK(fulcrum::ipvs::sched::siphash13(SipKey{1, 2}, msg, 7) != fulcrum::ipvs::sched::siphash13(SipKey{1, 3}, msg, 7));
}

TEST_CASE("a key's bytes are canonical: the unused tail of an IPv4 address does not count") {
  fulcrum::ipvs::IpAddr a = fulcrum::ipvs::IpAddr::v4(10, 1, 2, 3);
  fulcrum::ipvs::IpAddr b = a;
  b.bytes[9] = 0xee;  // garbage past the first 4 bytes
  CHECK(KeyBytes(fulcrum::ipvs::Family::v4, a).hash(SipKey{5, 6}) ==
        KeyBytes(fulcrum::ipvs::Family::v4, b).hash(SipKey{5, 6}));
  // The family is part of the key.
  CHECK(KeyBytes(fulcrum::ipvs::Family::v4, a).hash(SipKey{5, 6}) !=
        KeyBytes(fulcrum::ipvs::Family::v6, a).hash(SipKey{5, 6}));
  // Ports go in as the packet carries them.
  CHECK(KeyBytes(fulcrum::ipvs::Family::v4, a).add_port(fulcrum::ipvs::port_be(80)).hash(SipKey{5, 6}) !=
        KeyBytes(fulcrum::ipvs::Family::v4, a).add_port(fulcrum::ipvs::port_be(81)).hash(SipKey{5, 6}));
}

TEST_CASE("the client hash spreads sequential addresses evenly over buckets") {
  // 64 buckets, 64k consecutive IPv4 addresses: every bucket within 10% of 1024.
  std::vector<int> buckets(64);
  for (uint32_t i = 0; i < 65536; ++i) {
    const auto in = sched_test::client_v4(0x0a000000u + i);
    ++buckets[fulcrum::ipvs::sched::hash_client(in, false) >> 58];
  }
  for (int count : buckets) {
    CHECK(count > 920);
    CHECK(count < 1130);
  }
}
