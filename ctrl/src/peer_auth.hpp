#pragma once
// Who may use the control socket: uid 0, or a process holding CAP_NET_ADMIN, like the kernel's IPVS sockopts.

#include <cstdint>
#include <optional>
#include <string_view>

#include "fulcrum/ctrl/registry.hpp"

namespace fulcrum::ctrl {

constexpr unsigned kCapNetAdmin = 12;

// The peer's credentials from SO_PEERCRED, as they were when it called connect(2).
std::optional<Peer> peer_credentials(int fd);

// The CapEff mask from the text of /proc/<pid>/status; nullopt when the line is missing or malformed.
std::optional<uint64_t> parse_cap_eff(std::string_view proc_status);

// Reads /proc/<pid>/status for a non-root peer. A peer whose status can not be read is refused.
bool may_administer(const Peer& peer);

}  // namespace fulcrum::ctrl
