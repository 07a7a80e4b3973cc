#pragma once
// The ipvs dataplane's own counters, one set per worker: what happened to packets and connections beyond
// the per-service and per-real-server traffic counters. Written by their worker only (relaxed load and
// store, no locked instruction), read by the master for `ipvsadm --counters`.

#include <array>
#include <atomic>
#include <cstdint>

namespace fulcrum::ipvs {

#define FULCRUM_IPVS_COUNTERS(X)                                                                          \
  X(conn_created)        /* new connections */                                                           \
  X(conn_expired)        /* connections that timed out */                                                \
  X(conn_reused)         /* closed connections (TIME_WAIT, CLOSE) that a new SYN replaced */             \
  X(conn_table_full)     /* a new flow dropped: this worker holds conn_max connections */                \
  X(conn_insert_failed)  /* a new flow dropped: both index buckets of a key were full */                 \
  X(no_dest)             /* a new flow refused: no available real server (ICMP port unreachable sent) */ \
  X(no_laddr)            /* a new FullNAT flow dropped: the service has no local address */              \
  X(laddr_exhausted)     /* a new FullNAT flow dropped: every local port of the group is in use */       \
  X(unsupported_forward) /* a new flow dropped: the real server's forwarding method has no module */     \
  X(not_syn)             /* TCP to a service without a connection and without SYN: dropped */            \
  X(tcp_reset)           /* RSTs sent for them (none for a RST) */                                         \
  X(redirect_out)        /* replies this worker passed to the worker that owns their connection */       \
  X(redirect_in)         /* replies this worker received from another worker */                         \
  X(redirect_ring_full)  /* replies dropped: the owner's ring was full */                                \
  X(toa_added)           /* TOA options inserted */                                                      \
  X(toa_no_room)         /* TOA not inserted: the TCP header had no room for it */                       \
  X(mss_clamped)         /* SYN-ACKs whose MSS was lowered to leave room for TOA */                      \
  X(icmp_relayed)        /* ICMP errors about a connection, translated (DR, TUN: as they are) and passed on */ \
  X(icmp_unmatched)      /* ICMP errors about no known connection: left to the stack */                 \
  X(dest_no_route)       /* DR/TUN: no route (or no device) towards the real server: dropped */          \
  X(dest_too_big)        /* DR/TUN: too big for the egress MTU (with DF / IPv6: the client told): dropped */ \
  X(tun_encapsulated)    /* TUN: packets sent inside an outer IP header */                                \
  X(tun_no_source)       /* TUN: no address of ours on the egress device for the outer header: dropped */ \
  X(persist_hit)         /* new connections that followed a persistence template */                      \
  X(persist_created)     /* persistence templates made */                                                \
  X(persist_full)        /* a new template took the place of a live one: its bucket was full */          \
  X(truncated)           /* packets whose L4 header was short: left to the stack */                      \
  X(no_mbuf_room)        /* no headroom for the TOA option: sent on without it */                        \
  X(snat_created)        /* outbound flows an SNAT rule took: connections made from its pool */          \
  X(snat_not_syn)        /* TCP that an SNAT rule takes, without a connection and without SYN: dropped */ \
  X(snat_exhausted)      /* a new SNAT flow dropped: every port of the rule's pool is in use */

enum class DpCtr : uint8_t {
#define FULCRUM_X(name) name,
  FULCRUM_IPVS_COUNTERS(FULCRUM_X)
#undef FULCRUM_X
      count
};
constexpr unsigned kDpCounters = static_cast<unsigned>(DpCtr::count);

inline constexpr const char* kDpCounterNames[kDpCounters] = {
#define FULCRUM_X(name) #name,
    FULCRUM_IPVS_COUNTERS(FULCRUM_X)
#undef FULCRUM_X
};

struct DpCounters {
  std::array<std::atomic<uint64_t>, kDpCounters> v{};
  void add(DpCtr c, uint64_t n = 1) {
    auto& a = v[static_cast<unsigned>(c)];
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get(DpCtr c) const { return v[static_cast<unsigned>(c)].load(std::memory_order_relaxed); }
};

}  // namespace fulcrum::ipvs
