#include "fulcrum/netif/mac_address.hpp"

#include <cstdio>

namespace fulcrum::netif {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  MacAddress mac;
  size_t pos = 0;
  for (size_t i = 0; i < mac.bytes.size(); ++i) {
    if (i > 0) {
      if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')) return std::nullopt;
      ++pos;
    }
    int value = 0;
    size_t digits = 0;
    while (pos < text.size() && digits < 2 && hex_digit(text[pos]) >= 0) {
      value = value * 16 + hex_digit(text[pos]);
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(value);
  }
  if (pos != text.size()) return std::nullopt;
  return mac;
}

std::string MacAddress::to_string() const {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                bytes[5]);
  return out;
}

}  // namespace fulcrum::netif
