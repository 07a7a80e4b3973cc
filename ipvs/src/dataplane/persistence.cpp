// Persistence templates: see persistence.hpp.

#include "persistence.hpp"

#include <cstring>

#include <rte_byteorder.h>

namespace fulcrum::ipvs {

PersistTable::PersistTable(uint32_t capacity, uint64_t seed) : seed_(seed) {
  uint32_t buckets = 1;
  while (buckets * kWays < capacity && buckets < (1u << 28)) buckets <<= 1;
  mask_ = buckets - 1;
  entries_ = std::make_unique<Entry[]>(size_t{buckets} * kWays);
  std::memset(entries_.get(), 0, sizeof(Entry) * buckets * kWays);
}

void PersistTable::mask_client(Family f, uint32_t netmask, const uint8_t* addr, uint8_t* out) noexcept {
  std::memset(out, 0, 16);
  if (f == Family::v4) {
    uint32_t a;
    std::memcpy(&a, addr, 4);
    a &= rte_cpu_to_be_32(netmask);
    std::memcpy(out, &a, 4);
    return;
  }
  const uint32_t bits = netmask > 128 ? 128 : netmask;
  const uint32_t whole = bits / 8;
  std::memcpy(out, addr, whole);
  if (bits % 8 != 0) out[whole] = static_cast<uint8_t>(addr[whole] & (0xff00u >> (bits % 8)));
}

// A keyed mix over the network and the service (splitmix64's finaliser per word): the clients choose their
// addresses, so the bucket they land in must not be theirs to choose without the seed.
uint64_t PersistTable::hash(const uint8_t* net, uint32_t svc_uid) const noexcept {
  uint64_t h = seed_ ^ svc_uid;
  for (unsigned i = 0; i < 16; i += 8) {
    uint64_t w;
    std::memcpy(&w, net + i, 8);
    h ^= w;
    h += 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
  }
  return h;
}

DestIndex PersistTable::pick(WorkerService& svc, const SchedInput& in, DpCounters& ctr) noexcept {
  uint8_t net[16];
  mask_client(in.family, svc.netmask, in.saddr.bytes.data(), net);
  Entry* bucket = &entries_[(hash(net, svc.uid) & mask_) * kWays];
  const uint32_t now = in.now_s;
  Entry* victim = nullptr;
  for (unsigned w = 0; w < kWays; ++w) {
    Entry& e = bucket[w];
    const bool live = e.svc_uid != 0 && static_cast<int32_t>(e.expires_s - now) > 0;
    if (live && e.svc_uid == svc.uid && e.svc_slot == svc.slot && std::memcmp(e.net, net, 16) == 0) {
      // Its real server, found by identity (the service may have been changed since, moving dests around).
      const size_t n = svc.dests.size();
      for (size_t k = 0; k < n; ++k) {
        const size_t at = (e.dest_hint + k) % n;
        if (svc.extra[at].uid == e.dest_uid) {
          e.dest_hint = static_cast<uint32_t>(at);
          e.expires_s = now + svc.timeout_s;
          ctr.add(DpCtr::persist_hit);
          return static_cast<DestIndex>(at);
        }
      }
      victim = &e;  // its real server is gone: schedule again, in the same place
      break;
    }
    if (!live) {
      if (victim == nullptr || victim->svc_uid != 0) victim = &e;  // an empty one is best, then an expired one
    }
  }
  const DestIndex di = svc.pick(in);
  if (di == kNoDest) return di;
  if (victim == nullptr) {
    // All four live and for others: the one closest to expiry gives way.
    victim = &bucket[0];
    for (unsigned w = 1; w < kWays; ++w) {
      if (static_cast<int32_t>(bucket[w].expires_s - victim->expires_s) < 0) victim = &bucket[w];
    }
    ctr.add(DpCtr::persist_full);
  }
  std::memcpy(victim->net, net, 16);
  victim->svc_slot = svc.slot;
  victim->svc_uid = svc.uid;
  victim->dest_uid = svc.extra[di].uid;
  victim->dest_hint = di;
  victim->expires_s = now + svc.timeout_s;
  ctr.add(DpCtr::persist_created);
  return di;
}

void PersistTable::keep(const WorkerService& svc, Family f, const uint8_t* caddr, uint32_t dest_uid,
                        uint32_t now_s) noexcept {
  uint8_t net[16];
  mask_client(f, svc.netmask, caddr, net);
  Entry* bucket = &entries_[(hash(net, svc.uid) & mask_) * kWays];
  for (unsigned w = 0; w < kWays; ++w) {
    Entry& e = bucket[w];
    if (e.svc_uid != svc.uid || e.svc_slot != svc.slot || e.dest_uid != dest_uid) continue;
    if (std::memcmp(e.net, net, 16) != 0 || static_cast<int32_t>(e.expires_s - now_s) <= 0) continue;
    const uint32_t until = now_s + svc.timeout_s;
    if (static_cast<int32_t>(until - e.expires_s) > 0) e.expires_s = until;
    return;
  }
}

uint32_t PersistTable::live(uint32_t now_s) const noexcept {
  uint32_t n = 0;
  for (size_t i = 0; i < size_t{mask_ + 1} * kWays; ++i) {
    const Entry& e = entries_[i];
    if (e.svc_uid != 0 && static_cast<int32_t>(e.expires_s - now_s) > 0) ++n;
  }
  return n;
}

}  // namespace fulcrum::ipvs
