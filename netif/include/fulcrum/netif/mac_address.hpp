#pragma once
// An Ethernet address as the operator writes it ("02:00:c6:12:00:01"), independent of DPDK so that config
// validation and the tools can use it without EAL.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::netif {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // Six hex bytes separated by ':' (or '-'), one or two digits each; nullopt for anything else.
  static std::optional<MacAddress> parse(std::string_view text);
  std::string to_string() const;  // lower case, two digits per byte

  // The I/G bit: a group (multicast or broadcast) address, never a port's own.
  bool is_group() const { return (bytes[0] & 0x01) != 0; }
  bool is_zero() const { return bytes == std::array<uint8_t, 6>{}; }
  bool operator==(const MacAddress&) const = default;
};

}  // namespace fulcrum::netif
