#pragma once
// IPv4 and IPv6 addresses and prefixes as one value type, so that tables, messages and the neighbour state
// machine are written once for both families. Bytes are in network order; an IPv4 address fills the first
// 4 bytes and the other 12 stay zero, so two addresses compare (and hash) as plain bytes. No DPDK here.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::inet {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

constexpr unsigned family_index(Family f) { return f == Family::v4 ? 0 : 1; }
constexpr uint8_t max_prefix_len(Family f) { return f == Family::v4 ? 32 : 128; }
constexpr unsigned addr_len(Family f) { return f == Family::v4 ? 4 : 16; }
constexpr const char* family_name(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }
// 4 or 6 as the wire protocol writes it; nullopt for anything else.
std::optional<Family> family_from_wire(uint8_t value);

struct Addr {
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};

  static Addr v4_be(uint32_t be) {
    Addr a;
    std::memcpy(a.bytes.data(), &be, 4);
    return a;
  }
  static Addr v6(const uint8_t* b) {
    Addr a;
    a.family = Family::v6;
    std::memcpy(a.bytes.data(), b, 16);
    return a;
  }
  // From a wire record: `len` bytes of `b` (4 or 16) for the family; the rest zeroed.
  static Addr from_bytes(Family f, const uint8_t* b) { return f == Family::v4 ? v4_be(load32(b)) : v6(b); }

  uint32_t v4_be() const { return load32(bytes.data()); }
  const uint8_t* data() const { return bytes.data(); }

  // "198.18.0.1" or "2001:db8::1"; nullopt for anything else. `want` restricts the family.
  static std::optional<Addr> parse(std::string_view text, std::optional<Family> want = std::nullopt);
  std::string to_string() const;

  bool is_unspecified() const;
  bool is_multicast() const;   // 224/4, ff00::/8
  bool is_loopback() const;    // 127/8, ::1
  bool is_limited_broadcast() const { return family == Family::v4 && v4_be() == 0xffffffffu; }
  bool is_link_local() const;  // 169.254/16, fe80::/10

  auto operator<=>(const Addr&) const = default;

 private:
  static uint32_t load32(const uint8_t* b) {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }
};

struct Prefix {
  Addr addr;  // host bits zero (see masked())
  uint8_t len = 0;

  // "198.18.0.0/24", "2001:db8::/64", "default" (with `want`), or an address alone (a host prefix).
  static std::optional<Prefix> parse(std::string_view text, std::optional<Family> want = std::nullopt);
  std::string to_string() const;
  bool contains(const Addr& a) const;
  bool is_default() const { return len == 0; }
  auto operator<=>(const Prefix&) const = default;
};

// `a` with every bit past `len` cleared.
Addr mask(const Addr& a, uint8_t len);

}  // namespace fulcrum::inet
