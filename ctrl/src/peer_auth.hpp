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

// The effective uid (the second field of the Uid: line) from the same text; nullopt when missing or malformed.
std::optional<unsigned> parse_euid(std::string_view proc_status);

// The decision for a non-root peer, from what its /proc/<pid>/status says now. CAP_NET_ADMIN counts only
// (as the kernel's ns_capable(net->user_ns, ...)) when held in the daemon's user namespace: any user can
// create a namespace of its own in which it holds every capability, and CapEff does not say where. And the
// status must still be that of the uid that connected (SO_PEERCRED records the effective uid at connect):
// otherwise the pid was reused by another user's process, or the peer exec'd a setuid program after it
// connected and left the connection to code that was never privileged.
bool grants_admin(const Peer& peer, std::optional<uint64_t> cap_eff, std::optional<unsigned> euid,
                  bool same_user_ns);

// Reads /proc/<pid>/status and /proc/<pid>/ns/user for a non-root peer. A peer whose status or user
// namespace can not be read is refused.
bool may_administer(const Peer& peer);

}  // namespace fulcrum::ctrl
