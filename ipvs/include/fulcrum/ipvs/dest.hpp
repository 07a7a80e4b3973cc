#pragma once
// A real server ("dest", as the kernel's IPVS calls it) as the schedulers see it: its identity, its weight,
// and the live state the connection layer keeps on the same worker. Pure C++, no DPDK.
//
// A service keeps its dests in one contiguous array of `Dest` and anything else it needs per dest (counters,
// forwarding method, MAC) in a parallel array with the same index: lc, wlc and friends scan every dest on each
// pick, so the fields they read stay dense in cache.

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <string>

namespace fulcrum::ipvs {

// As everywhere in Fulcrum: 4 or 6.
enum class Family : uint8_t { v4 = 4, v6 = 6 };

// 16 bytes in network order; an IPv4 address fills the first 4 bytes and the rest are zero.
struct IpAddr {
  std::array<uint8_t, 16> bytes{};

  static constexpr IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    IpAddr ip;
    ip.bytes = {a, b, c, d};
    return ip;
  }
  // From a host-order integer, as tests and generators like to count addresses.
  static constexpr IpAddr v4(uint32_t host_order) {
    return v4(static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
              static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order));
  }
  bool operator==(const IpAddr&) const = default;
};

constexpr unsigned addr_len(Family f) { return f == Family::v4 ? 4u : 16u; }

// Ports are in network byte order everywhere in this API, as they sit in the packet; these convert.
constexpr uint16_t port_be(uint16_t host_order) {
  if constexpr (std::endian::native == std::endian::big) return host_order;
  return static_cast<uint16_t>((host_order << 8) | (host_order >> 8));
}
constexpr uint16_t port_host(uint16_t be) { return port_be(be); }

// Who a dest is. The order (family, then address, then port as a number) is the canonical order that the
// hashing schedulers build their tables in, so that every balancer builds the same table for the same set of
// dests, whatever order they were added in. Only the first addr_len(family) bytes of the address count.
struct DestId {
  IpAddr addr;
  uint16_t port = 0;  // network byte order
  Family family = Family::v4;

  bool operator==(const DestId& o) const { return (*this <=> o) == 0; }
  std::strong_ordering operator<=>(const DestId& o) const;
};

// "10.0.0.1:80", "[2001:db8::1]:443", for messages.
std::string to_string(const DestId& id);
// The address alone: "198.18.0.1", "2001:db8::1".
std::string to_string(Family f, const IpAddr& a);

// The kernel's IP_VS_DEST_F_OVERLOAD value: the dest is at its upper connection threshold, and no scheduler
// gives it new connections until it falls below the lower one (see update_overload_* below).
inline constexpr uint32_t kDestOverload = 0x0002;

// ipvsadm's range; it also keeps overhead * weight well inside 64 bits.
inline constexpr uint32_t kMaxWeight = 65535;

struct Dest {
  DestId id;
  uint32_t weight = 1;       // 0 quiesces the dest: it keeps its connections and gets no new ones
  uint32_t u_threshold = 0;  // upper connection threshold, 0: none
  uint32_t l_threshold = 0;  // lower connection threshold, 0: three quarters of u_threshold
  uint32_t flags = 0;        // kDestOverload
  uint32_t activeconns = 0;  // kept by the connection layer on this worker
  uint32_t inactconns = 0;
};

// The kernel's connection overhead, which lc, wlc, lblc, lblcr and twos balance: an active connection weighs
// 256 inactive ones. 64 bits, so millions of connections per worker cannot wrap it.
constexpr uint64_t conn_overhead(const Dest& d) {
  return (static_cast<uint64_t>(d.activeconns) << 8) + d.inactconns;
}

constexpr bool is_available(const Dest& d) { return d.weight > 0 && !(d.flags & kDestOverload); }

// The kernel's threshold rules, for the connection layer to call after it changes the counters. Bound: the
// dest becomes overloaded once active + inactive reaches u_threshold. Unbound: it stops being overloaded when
// the total falls below l_threshold, or below 3/4 of u_threshold when l_threshold is 0; with no thresholds at
// all the flag is simply cleared.
constexpr void update_overload_after_bind(Dest& d) {
  const uint64_t total = uint64_t{d.activeconns} + d.inactconns;
  if (d.u_threshold != 0 && total >= d.u_threshold) d.flags |= kDestOverload;
}
constexpr void update_overload_after_unbind(Dest& d) {
  const uint64_t total = uint64_t{d.activeconns} + d.inactconns;
  if (d.l_threshold != 0) {
    if (total < d.l_threshold) d.flags &= ~kDestOverload;
  } else if (d.u_threshold != 0) {
    if (total * 4 < uint64_t{d.u_threshold} * 3) d.flags &= ~kDestOverload;
  } else {
    d.flags &= ~kDestOverload;
  }
}

}  // namespace fulcrum::ipvs
