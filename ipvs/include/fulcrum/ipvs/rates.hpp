#pragma once
// Traffic rates of a service or a real server, as the kernel's IPVS estimates them (ip_vs_est.c) and
// ipvsadm --rate shows them: connections, packets and bytes per second, smoothed over the last samples.

#include <cstdint>

namespace fulcrum::ipvs {

// The kernel samples every 2 s; its fixed-point shifts assume that interval, so it is not a setting.
inline constexpr uint32_t kRateIntervalUs = 2'000'000;

struct Rates {
  uint64_t cps = 0;     // connections per second
  uint64_t inpps = 0;   // packets per second, client to real server
  uint64_t outpps = 0;  // packets per second, real server to client
  uint64_t inbps = 0;   // bytes per second
  uint64_t outbps = 0;
  bool operator==(const Rates&) const = default;
};

}  // namespace fulcrum::ipvs
