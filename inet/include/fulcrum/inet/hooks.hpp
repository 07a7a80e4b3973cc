#pragma once
// Hook points of the IP layers, where the layers above (ipvs) see packets go by, a burst at a time, and decide
// for each: let it go on (accept), drop it, or take it (stolen: the hook now owns the mbuf and will send or
// free it itself).
//
//   pre_routing   every valid packet that arrived, before the local/forward decision (ipvs: both directions
//                 of its connections arrive here)
//   local_in      packets for one of our addresses, after reassembly, before protocol dispatch
//   forward       packets being forwarded, after the route lookup (out_ifindex is set), before the TTL drops
//   local_out     packets we originate (Inet::output), before the route lookup: a hook may change the
//                 destination and the lookup sees it
//   post_routing  every packet about to leave, after routing (out_ifindex is set), before fragmentation and
//                 the neighbour
//
// Hooks of one point run in priority order (lower first). A hook sees only the packets the ones before it
// accepted. The mbuf's data is at the IP header, l3_len is the IP header's length (IPv6: with extension
// headers) and, on input, netif::ingress_ifindex(m) is the device it came in on. Hooks run on workers, on the
// packet path: no locks, no allocation, no syscalls.

#include <array>
#include <cstdint>

#include <rte_mbuf.h>

#include "fulcrum/inet/addr.hpp"
#include "fulcrum/inet/table_msg.hpp"

namespace fulcrum::inet {

enum class HookPoint : uint8_t { pre_routing = 0, local_in, forward, local_out, post_routing };
constexpr unsigned kHookPoints = 5;
constexpr const char* kHookPointNames[kHookPoints] = {"pre_routing", "local_in", "forward", "local_out",
                                                      "post_routing"};

enum class Verdict : uint8_t { accept = 0, drop, stolen };

struct HookBurst {
  HookPoint point;
  Family family;
  rte_mbuf** pkts;
  uint16_t n;
  Verdict* verdicts;           // all accept on entry
  const Ifindex* out_ifindex;  // forward and post_routing: each packet's output device; null elsewhere
};

using HookFn = void (*)(void* ctx, HookBurst& burst);

constexpr unsigned kMaxHooksPerPoint = 8;

class HookChain {
 public:
  // Before the lcores start. Throws std::logic_error when the point has kMaxHooksPerPoint hooks already.
  void add(int priority, const char* name, HookFn fn, void* ctx);
  bool empty() const { return count_ == 0; }
  unsigned size() const { return count_; }
  const char* name(unsigned i) const { return hooks_[i].name; }

  struct Result {
    uint16_t kept = 0;
    uint16_t dropped = 0;
    uint16_t stolen = 0;
  };
  // Runs every hook over pkts[0, n). Dropped packets are freed, stolen ones forgotten; the rest move to the
  // front of pkts, keeping their order, and `aux` and `ifx` (each optional) move alongside.
  Result run(HookPoint point, Family family, rte_mbuf** pkts, uint16_t n, uint32_t* aux, Ifindex* ifx) const;

 private:
  struct Hook {
    int priority = 0;
    const char* name = "";
    HookFn fn = nullptr;
    void* ctx = nullptr;
  };
  std::array<Hook, kMaxHooksPerPoint> hooks_{};
  unsigned count_ = 0;
};

// Local delivery by IP protocol: a burst of packets for our addresses, data at the IP header, l3_len set.
// The handler owns the mbufs.
using ProtoHandler = void (*)(void* ctx, rte_mbuf** pkts, uint16_t n);

struct ProtoEntry {
  ProtoHandler fn = nullptr;
  void* ctx = nullptr;
  const char* name = "";
};

}  // namespace fulcrum::inet
