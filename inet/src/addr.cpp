#include "fulcrum/inet/addr.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace fulcrum::inet {

std::optional<Family> family_from_wire(uint8_t value) {
  if (value == 4) return Family::v4;
  if (value == 6) return Family::v6;
  return std::nullopt;
}

std::optional<Addr> Addr::parse(std::string_view text, std::optional<Family> want) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Addr a;
  if (text.find(':') == std::string_view::npos) {
    if (want == Family::v6) return std::nullopt;
    if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
    return a;
  }
  if (want == Family::v4) return std::nullopt;
  a.family = Family::v6;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::string Addr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool Addr::is_unspecified() const { return bytes == std::array<uint8_t, 16>{}; }

bool Addr::is_multicast() const {
  return family == Family::v4 ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

bool Addr::is_loopback() const {
  if (family == Family::v4) return bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kLoop{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes == kLoop;
}

bool Addr::is_link_local() const {
  if (family == Family::v4) return bytes[0] == 169 && bytes[1] == 254;
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

Addr mask(const Addr& a, uint8_t len) {
  Addr out = a;
  const unsigned total = addr_len(a.family) * 8;
  for (unsigned bit = len; bit < total; ++bit) out.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return out;
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::optional<Family> want) {
  if (text == "default" || text == "all" || text == "any") {
    Prefix p;
    p.addr.family = want.value_or(Family::v4);
    return p;
  }
  const size_t slash = text.find('/');
  const auto addr = Addr::parse(text.substr(0, slash), want);
  if (!addr) return std::nullopt;
  Prefix p;
  p.addr = *addr;
  p.len = max_prefix_len(addr->family);
  if (slash != std::string_view::npos) {
    const std::string_view len_text = text.substr(slash + 1);
    unsigned len = 0;
    const auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (len_text.empty() || ec != std::errc() || end != len_text.data() + len_text.size() ||
        len > max_prefix_len(addr->family)) {
      return std::nullopt;
    }
    p.len = static_cast<uint8_t>(len);
  }
  return p;
}

std::string Prefix::to_string() const {
  if (len == 0) return "default";
  if (len == max_prefix_len(addr.family)) return addr.to_string();
  return addr.to_string() + "/" + std::to_string(len);
}

bool Prefix::contains(const Addr& a) const { return a.family == addr.family && mask(a, len) == mask(addr, len); }

}  // namespace fulcrum::inet
