#pragma once
// Small packet helpers both families use: Internet checksums over mbufs, the incremental update of RFC 1624,
// building packets longer than one buffer, and the payload of dataplane pings.

#include <cstdint>
#include <cstring>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fulcrum/inet/lcore_inet.hpp"

namespace fulcrum::inet {

// The folded one's complement sum (not complemented) of `len` bytes at `off`, across segments. 0 when the
// range is not in the packet, which no valid checksum sums to.
inline uint16_t checksum_mbuf(const rte_mbuf* m, uint32_t off, uint32_t len, uint32_t initial = 0) {
  uint16_t sum = 0;
  if (rte_raw_cksum_mbuf(m, off, len, &sum) != 0) return 0;
  uint32_t s = static_cast<uint32_t>(sum) + initial;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The checksum after one 16-bit word of the data changed from `old_word` to `new_word` (all three as they
// sit in the packet).
inline uint16_t checksum_adjust(uint16_t cksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint32_t>(static_cast<uint16_t>(~cksum)) + static_cast<uint16_t>(~old_word) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Appends `len` zero bytes to `m`, chaining buffers from `pool` as it fills them. False when the pool is dry
// (the caller frees the chain).
inline bool append_zeros(rte_mbuf* m, rte_mempool* pool, uint32_t len) {
  rte_mbuf* last = rte_pktmbuf_lastseg(m);
  while (len > 0) {
    const uint16_t room = rte_pktmbuf_tailroom(last);
    if (room == 0) {
      rte_mbuf* seg = rte_pktmbuf_alloc(pool);
      if (seg == nullptr) return false;
      if (rte_pktmbuf_chain(m, seg) != 0) {
        rte_pktmbuf_free(seg);
        return false;
      }
      last = seg;
      continue;
    }
    const uint16_t k = static_cast<uint16_t>(len < room ? len : room);
    auto* p = rte_pktmbuf_append(m, k);
    if (p == nullptr) return false;
    std::memset(p, 0, k);
    len -= k;
  }
  return true;
}

// The first bytes of a dataplane ping's payload: when it left, and which ping it is.
struct PingStamp {
  uint64_t tsc = 0;
  uint32_t token = 0;
  uint32_t reserved = 0;
};
static_assert(sizeof(PingStamp) == 16);

// A reply to a dataplane ping arrived on this worker: published for the master (see PingSlot).
inline void record_ping(LcoreInet& lc, const PingStamp& stamp, const Addr& from, uint8_t ttl, uint16_t bytes) {
  if (stamp.token == 0) return;
  PingSlot& s = lc.pings[stamp.token % kPingSlots];
  const uint64_t cycles = rte_rdtsc() - stamp.tsc;
  s.rtt_ns = static_cast<uint32_t>(cycles * 1'000'000ull / rte_get_tsc_hz() * 1000);
  s.ttl = ttl;
  s.bytes = bytes;
  s.from = from;
  s.token.store(stamp.token, std::memory_order_release);
  lc.ctr(from.family).add(Ctr::ping_replies);
}

}  // namespace fulcrum::inet
