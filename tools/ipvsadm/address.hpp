#pragma once
// Addresses and ports as ipvsadm reads and prints them: "host[:port]", "[v6]:port", service names from
// /etc/services, IPv4 netmasks, and "addr:port" / "[v6]:port" / "name:service" in listings.

#include <cstdint>
#include <optional>
#include <string>

#include "model.hpp"

namespace fulcrum::ipvsadm {

// What parse_service_address found: a bit set of these (0: the text is not an address).
enum ServiceParse : int { parsed_none = 0, parsed_addr = 1, parsed_port = 2 };

// Stock ipvsadm's reading of a service or real-server address, for `protocol` (port names are looked up for
// it): "198.18.0.1", "198.18.0.1:80", "host:http", "2001:db8::1" (no port), "[2001:db8::1]:80". A bracketed
// address must be IPv6 and must have a port. IPv4 goes through inet_aton (so "10.1" is 10.0.0.1) and then
// the resolver; all-digit text is refused, as it is a port without a host.
int parse_service_address(const std::string& text, uint16_t protocol, Addr& addr, uint16_t& port);

// A literal IPv4 or IPv6 address without a port (local addresses, -z).
std::optional<Addr> parse_literal_address(const std::string& text);

// -M for an IPv4 service: dotted quad (inet_aton) or a host name, as stock ipvsadm reads it. Host order.
std::optional<uint32_t> parse_ipv4_netmask(const std::string& text);

// "tcp", "udp", "sctp" for /etc/services look-ups; nullptr for other protocols.
const char* service_proto_name(uint16_t protocol);

// inet_ntop of the address.
std::string address_text(const Addr& addr);

// "198.18.0.1:80" or "[2001:db8::1]:80"; without `numeric`, the host's name (IPv4 only: stock ipvsadm's
// reverse look-up never succeeds for IPv6) and the port's service name when they have one.
std::string addrport_text(const Addr& addr, uint16_t port, uint16_t protocol, bool numeric);

// An address's 32-bit words in host order, as stock ipvsadm compares them.
uint32_t address_word(const Addr& addr, int i);

}  // namespace fulcrum::ipvsadm
