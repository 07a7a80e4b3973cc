#pragma once
// SipHash (Aumasson and Bernstein, 2012), written here from the paper's definition: the hash the schedulers
// place clients and dests with.
//
// Why SipHash: it is specified byte for byte, so every balancer behind the same ECMP route computes the same
// value for the same input on any CPU; it is well distributed for short, structured inputs such as addresses;
// and it takes a 128-bit key, which gives each use its own independent hash. The schedulers use the 1-3
// variant (one compression round per word, three finalisation rounds), which is as well distributed for
// this purpose and about twice as fast as 2-4; 2-4 is here for its published test vectors, which check the
// shared code. Changing a key or the variant changes where every client lands: treat it like a wire format.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fulcrum::ipvs::sched {

struct SipKey {
  uint64_t k0;
  uint64_t k1;
};

// A key from 16 ASCII characters, read as two little-endian words, so keys can be named in the source.
consteval SipKey sip_key(const char (&text)[17]) {
  uint64_t k[2] = {0, 0};
  for (int i = 0; i < 16; ++i) k[i / 8] |= static_cast<uint64_t>(static_cast<uint8_t>(text[i])) << (8 * (i % 8));
  return {k[0], k[1]};
}

namespace detail {

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
};

}  // namespace detail

template <int C, int D>
inline uint64_t siphash(const SipKey& key, const void* data, size_t len) noexcept {
  detail::SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull, key.k0 ^ 0x6c7967656e657261ull,
                     key.k1 ^ 0x7465646279746573ull};
  const auto* p = static_cast<const uint8_t*>(data);
  const size_t whole = len & ~size_t{7};
  for (size_t i = 0; i < whole; i += 8) {
    const uint64_t m = detail::load_le64(p + i);
    s.v3 ^= m;
    for (int r = 0; r < C; ++r) s.round();
    s.v0 ^= m;
  }
  // The last word holds the leftover bytes and, in its top byte, the length.
  uint64_t last = static_cast<uint64_t>(len & 0xff) << 56;
  for (size_t i = whole; i < len; ++i) last |= static_cast<uint64_t>(p[i]) << (8 * (i - whole));
  s.v3 ^= last;
  for (int r = 0; r < C; ++r) s.round();
  s.v0 ^= last;
  s.v2 ^= 0xff;
  for (int r = 0; r < D; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline uint64_t siphash13(const SipKey& key, const void* data, size_t len) noexcept {
  return siphash<1, 3>(key, data, len);
}
inline uint64_t siphash24(const SipKey& key, const void* data, size_t len) noexcept {
  return siphash<2, 4>(key, data, len);
}

}  // namespace fulcrum::ipvs::sched
