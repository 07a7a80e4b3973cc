#include "conn_table.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <stdexcept>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

namespace fulcrum::ipvs {
namespace {

// Two index slots per connection over ten-slot buckets, at a load of about 0.6: two-choice hashing keeps
// overflows rare well beyond that, and the index stays under a fifth of a connection's cost.
constexpr double kSlotsPerEntry = 2.0 / (ConnTable::kBucketSlots * 0.6);

// Large, zeroed, aligned; transparent huge pages where the kernel has them (fewer TLB misses on a table
// that is read at random).
void* allocate(size_t bytes) {
  const size_t rounded = (bytes + 2 * 1024 * 1024 - 1) & ~size_t{2 * 1024 * 1024 - 1};
  void* p = std::aligned_alloc(2 * 1024 * 1024, rounded);
  if (p == nullptr) throw std::bad_alloc();
  madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

uint32_t free_link(const Conn* c) {
  uint32_t next;
  std::memcpy(&next, c->caddr, sizeof next);
  return next;
}

void set_free_link(Conn* c, uint32_t next) { std::memcpy(c->caddr, &next, sizeof next); }

// Maps a 32-bit hash onto [0, n) without a division (Lemire's multiply-shift).
uint32_t reduce(uint32_t h, uint32_t n) { return static_cast<uint32_t>((uint64_t{h} * n) >> 32); }

}  // namespace

ConnTable::ConnTable(uint32_t capacity) : capacity_(capacity) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    throw std::invalid_argument("connection table capacity " + std::to_string(capacity) + " is outside 1 to " +
                                std::to_string(kMaxCapacity));
  }
  n_buckets_ = static_cast<uint32_t>(static_cast<double>(capacity) * kSlotsPerEntry) + 2;
  conns_ = static_cast<Conn*>(allocate(sizeof(Conn) * static_cast<size_t>(capacity)));
  try {
    buckets_ = static_cast<Bucket*>(allocate(sizeof(Bucket) * static_cast<size_t>(n_buckets_)));
  } catch (...) {
    std::free(conns_);
    throw;
  }
  for (uint32_t b = 0; b < n_buckets_; ++b) {
    for (unsigned s = 0; s < kBucketSlots; ++s) buckets_[b].slot[s] = kEmpty;
  }
  for (uint32_t i = 0; i < capacity; ++i) {
    set_free_link(&conns_[i], i + 1 < capacity ? i + 1 : kEmpty);
    conns_[i].family = 0;  // free: what in_use() reads
  }
  free_head_ = 0;
}

ConnTable::~ConnTable() {
  std::free(conns_);
  std::free(buckets_);
}

size_t ConnTable::memory_bytes() const {
  return sizeof(Conn) * static_cast<size_t>(capacity_) + sizeof(Bucket) * static_cast<size_t>(n_buckets_);
}

ConnTable::Place ConnTable::place_of(const FlowKey& k) const {
  // CRC32-C over the words that differ between flows; IPv4 keys skip their zero address tails.
  uint32_t h = rte_hash_crc_4byte(static_cast<uint32_t>(k.sport) << 16 | k.dport,
                                  static_cast<uint32_t>(k.family) << 8 | k.proto);
  if (k.family == 4) {
    uint32_t s, d;
    std::memcpy(&s, k.saddr, 4);
    std::memcpy(&d, k.daddr, 4);
    h = rte_hash_crc_8byte(static_cast<uint64_t>(s) << 32 | d, h);
  } else {
    for (unsigned i = 0; i < 16; i += 8) {
      uint64_t s, d;
      std::memcpy(&s, k.saddr + i, 8);
      std::memcpy(&d, k.daddr + i, 8);
      h = rte_hash_crc_8byte(s, h);
      h = rte_hash_crc_8byte(d, h);
    }
  }
  // The second bucket and the signature come from a remix of the same hash, so one CRC serves all three.
  const uint64_t mixed = static_cast<uint64_t>(h) * 0x9e3779b97f4a7c15ull;
  Place p;
  p.b1 = reduce(h, n_buckets_);
  p.b2 = reduce(static_cast<uint32_t>(mixed >> 32), n_buckets_);
  p.sig = static_cast<uint16_t>(mixed >> 16);
  return p;
}

Conn* ConnTable::search(const Bucket& b, uint16_t sig, const FlowKey& k, ConnDir* dir) const {
  for (unsigned s = 0; s < kBucketSlots; ++s) {
    if (b.sig[s] != sig || b.slot[s] == kEmpty) continue;
    const ConnDir d = (b.slot[s] & kDirBit) ? ConnDir::out : ConnDir::in;
    Conn* c = &conns_[b.slot[s] & ~kDirBit];
    if (c->matches(k, d)) {
      *dir = d;
      return c;
    }
  }
  return nullptr;
}

Conn* ConnTable::lookup(const FlowKey& k, ConnDir* dir) const {
  const Place p = place_of(k);
  if (Conn* c = search(buckets_[p.b1], p.sig, k, dir)) return c;
  return p.b2 == p.b1 ? nullptr : search(buckets_[p.b2], p.sig, k, dir);
}

uint32_t ConnTable::first_candidate(const Place& p) const {
  for (const uint32_t bi : {p.b1, p.b2}) {
    const Bucket& b = buckets_[bi];
    for (unsigned s = 0; s < kBucketSlots; ++s) {
      if (b.sig[s] == p.sig && b.slot[s] != kEmpty) return b.slot[s];
    }
  }
  return kEmpty;
}

// Three passes over the burst, so that its memory misses overlap instead of following one another: the
// buckets are prefetched; then, once they have had the rest of the burst to arrive, each one's first entry
// with the key's signature is prefetched (both its lines: the addresses in the first, the ports, protocol and
// state in the second); then the keys are compared. At millions of connections nearly every bucket and entry
// is a miss. A signature shared by another key (1 in 65536 per slot) falls back to the buckets' full search.
void ConnTable::lookup_burst(const FlowKey* const* keys, unsigned n, Conn** out, ConnDir* dirs) const {
  constexpr unsigned kMaxBurst = 64;
  Place places[kMaxBurst];
  uint32_t cand[kMaxBurst];
  for (unsigned base = 0; base < n; base += kMaxBurst) {
    const unsigned m = n - base < kMaxBurst ? n - base : kMaxBurst;
    for (unsigned i = 0; i < m; ++i) {
      places[i] = place_of(*keys[base + i]);
      rte_prefetch0(&buckets_[places[i].b1]);
      rte_prefetch0(&buckets_[places[i].b2]);
    }
    for (unsigned i = 0; i < m; ++i) {
      cand[i] = first_candidate(places[i]);
      if (cand[i] == kEmpty) continue;
      const Conn* c = &conns_[cand[i] & ~kDirBit];
      rte_prefetch0(c);
      rte_prefetch0(reinterpret_cast<const char*>(c) + RTE_CACHE_LINE_SIZE);
    }
    for (unsigned i = 0; i < m; ++i) {
      out[base + i] = nullptr;
      if (cand[i] == kEmpty) continue;  // no slot carries the signature: no connection has the key
      const FlowKey& k = *keys[base + i];
      const ConnDir d = (cand[i] & kDirBit) ? ConnDir::out : ConnDir::in;
      Conn* c = &conns_[cand[i] & ~kDirBit];
      if (c->matches(k, d)) {
        dirs[base + i] = d;
        out[base + i] = c;
        continue;
      }
      const Place& p = places[i];
      c = search(buckets_[p.b1], p.sig, k, &dirs[base + i]);
      if (c == nullptr && p.b2 != p.b1) c = search(buckets_[p.b2], p.sig, k, &dirs[base + i]);
      out[base + i] = c;
    }
  }
}

Conn* ConnTable::alloc() {
  if (free_head_ == kEmpty) return nullptr;
  Conn* c = &conns_[free_head_];
  free_head_ = free_link(c);
  std::memset(static_cast<void*>(c), 0, sizeof *c);
  ++used_;
  return c;
}

bool ConnTable::add_slot(const FlowKey& k, uint32_t value) {
  const Place p = place_of(k);
  ConnDir ignored;
  if (search(buckets_[p.b1], p.sig, k, &ignored) != nullptr || search(buckets_[p.b2], p.sig, k, &ignored) != nullptr) {
    return false;
  }
  Bucket* best = nullptr;
  unsigned best_slot = 0;
  unsigned best_free = 0;
  for (Bucket* b : {&buckets_[p.b1], &buckets_[p.b2]}) {
    unsigned n_free = 0;
    unsigned first = 0;
    for (unsigned s = kBucketSlots; s-- > 0;) {
      if (b->slot[s] == kEmpty) {
        ++n_free;
        first = s;
      }
    }
    if (n_free > best_free) {
      best = b;
      best_slot = first;
      best_free = n_free;
    }
  }
  if (best == nullptr) return false;
  best->sig[best_slot] = p.sig;
  best->slot[best_slot] = value;
  return true;
}

void ConnTable::remove_slot(const FlowKey& k, uint32_t value) {
  const Place p = place_of(k);
  for (Bucket* b : {&buckets_[p.b1], &buckets_[p.b2]}) {
    for (unsigned s = 0; s < kBucketSlots; ++s) {
      if (b->slot[s] == value) {
        b->slot[s] = kEmpty;
        return;
      }
    }
  }
}

bool ConnTable::insert(Conn* c) {
  const uint32_t id = id_of(c);
  if (!add_slot(c->key(ConnDir::in), id)) return false;
  if (!add_slot(c->key(ConnDir::out), id | kDirBit)) {
    remove_slot(c->key(ConnDir::in), id);
    return false;
  }
  return true;
}

void ConnTable::unlink(Conn* c) {
  const uint32_t id = id_of(c);
  remove_slot(c->key(ConnDir::in), id);
  remove_slot(c->key(ConnDir::out), id | kDirBit);
}

void ConnTable::free(Conn* c) {
  unlink(c);
  set_free_link(c, free_head_);
  c->family = 0;
  free_head_ = id_of(c);
  --used_;
}

}  // namespace fulcrum::ipvs
