#pragma once
// When the daemon is down the tools see ENOPROTOOPT, as on a kernel without IPVS, and try to load the
// module: fork, then execv("/sbin/modprobe", {"modprobe", ["-s", "--",] "ip_vs"}). Under the bridge the
// kernel's IPVS is not what they should get, so that exec is refused (ENOENT, as on a host without
// modprobe: the path the traces show both tools handle); any other program runs.

namespace fulcrum::bridge {

// True for modprobe (by the basename of `path` or argv[0]) with an argument "ip_vs" or "ip_vs_*".
bool is_modprobe_of_ipvs(const char* path, char* const argv[]);

}  // namespace fulcrum::bridge
