#pragma once
// What the hashing schedulers hash, and with which keys. The bytes are a canonical encoding (family, the
// address's own bytes, then ports in network order and counters little-endian), never a struct's memory, so
// padding, the unused tail of an IPv4 address and the host's byte order cannot change a placement.

#include <cstdint>
#include <cstring>

#include "fulcrum/ipvs/scheduler.hpp"
#include "siphash.hpp"

namespace fulcrum::ipvs::sched {

// One key per use, so that the hashes a scheduler combines are independent of each other.
inline constexpr SipKey kClientKey = sip_key("fulcrum/client/1");   // a client's address (and port)
inline constexpr SipKey kMhOffsetKey = sip_key("fulcrum/mh/offs1");  // a dest's first Maglev slot
inline constexpr SipKey kMhSkipKey = sip_key("fulcrum/mh/skip1");    // a dest's Maglev stride
inline constexpr SipKey kRingKey = sip_key("fulcrum/ring/pt1");      // a dest's points on the conhash ring
inline constexpr SipKey kCacheKey = sip_key("fulcrum/lblc/ca1");     // lblc's cache buckets

class KeyBytes {
 public:
  KeyBytes(Family family, const IpAddr& addr) {
    bytes_[0] = static_cast<uint8_t>(family);
    const unsigned len = addr_len(family);
    std::memcpy(bytes_ + 1, addr.bytes.data(), len);
    size_ = 1 + len;
  }
  // `be` as it sits in memory, which is network order on any host.
  KeyBytes& add_port(uint16_t be) {
    std::memcpy(bytes_ + size_, &be, sizeof be);
    size_ += sizeof be;
    return *this;
  }
  KeyBytes& add_u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_[size_++] = static_cast<uint8_t>(v >> (8 * i));
    return *this;
  }
  uint64_t hash(const SipKey& key) const { return siphash13(key, bytes_, size_); }

 private:
  uint8_t bytes_[1 + 16 + 2 + 4];
  unsigned size_;
};

inline uint64_t hash_client(const SchedInput& in, bool with_port) {
  KeyBytes k(in.family, in.saddr);
  if (with_port) k.add_port(in.sport);
  return k.hash(kClientKey);
}

inline uint64_t hash_dest(const DestId& id, const SipKey& key) {
  return KeyBytes(id.family, id.addr).add_port(id.port).hash(key);
}

// Maps 32 well-mixed bits onto [0, n) by a multiply instead of a division (Lemire's reduction).
inline uint32_t reduce(uint32_t h, uint32_t n) { return static_cast<uint32_t>((uint64_t{h} * n) >> 32); }

}  // namespace fulcrum::ipvs::sched
