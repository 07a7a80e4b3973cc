#pragma once
// One worker's connection table: a fixed array of connections and an index that finds one by the tuple of
// either direction. Single-threaded by design (each worker owns its table), so nothing is locked or atomic.
//
// Why not rte_hash: two rte_hash entries per connection cost ~70 bytes each (key store, bucket slot, data
// pointer) before the connection itself; the budget for a connection with both directions and every table is
// 160 bytes (doc/performance.md). Here an index slot is 6 bytes: a 16-bit signature and a 32-bit entry
// number, ten to a cache-line bucket.
//
// Index: each key has two candidate buckets (two-choice hashing); an entry goes to the emptier one. A lookup
// reads at most two bucket lines, compares signatures, and touches a connection only on a signature match.
// Nothing moves once inserted, so an entry number stays valid until the connection is freed. Insertion fails
// (the caller counts a table-full drop) only when both buckets are full, which the sizing keeps rare.
//
// Connections come from a free list threaded through the array itself: no per-object header, no allocation
// after construction.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "conn.hpp"
#include "fulcrum/ipvs/flow_key.hpp"

namespace fulcrum::ipvs {

class ConnTable {
 public:
  static constexpr unsigned kBucketSlots = 10;
  static constexpr uint32_t kMaxCapacity = (1u << 31) - 1;  // the top bit of an index slot is the direction

  // Allocates everything for `capacity` connections (control path; throws std::bad_alloc or
  // std::invalid_argument for a capacity of 0 or above kMaxCapacity).
  explicit ConnTable(uint32_t capacity);
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;
  ~ConnTable();

  // --- packet path: no allocation, no exceptions ---

  // The connection a packet with key `k` belongs to, and which direction the packet goes; nullptr if none.
  Conn* lookup(const FlowKey& k, ConnDir* dir) const;
  // Several keys at once: the buckets of all of them are prefetched before any is searched.
  void lookup_burst(const FlowKey* const* keys, unsigned n, Conn** out, ConnDir* dirs) const;

  // A zeroed connection for the caller to fill in, or nullptr when all `capacity` are in use.
  Conn* alloc();
  // Indexes a filled-in connection under both its keys. False (and nothing indexed) when a key's buckets are
  // full or the key is already indexed; the caller still owns the connection and frees it.
  bool insert(Conn* c);
  // Removes both keys from the index. The connection stays allocated.
  void unlink(Conn* c);
  // Returns a connection (unlinked first) to the free list.
  void free(Conn* c);

  // --- accounting ---
  uint32_t size() const { return used_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t buckets() const { return n_buckets_; }
  // Every byte the table holds, connections and index; divided by capacity: the cost of one connection.
  size_t memory_bytes() const;
  uint32_t id_of(const Conn* c) const { return static_cast<uint32_t>(c - conns_); }
  Conn* at(uint32_t id) const { return &conns_[id]; }
  // Whether entry `id` holds a connection (a filled-in one has family 4 or 6), for listings.
  bool in_use(uint32_t id) const { return id < capacity_ && conns_[id].family != 0; }

 private:
  struct alignas(64) Bucket {
    uint16_t sig[kBucketSlots];
    uint32_t slot[kBucketSlots];  // entry number | direction << 31; kEmpty when unused
    uint32_t reserved;
  };
  static_assert(sizeof(Bucket) == 64);
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr uint32_t kDirBit = 1u << 31;

  struct Place {
    uint32_t b1;
    uint32_t b2;
    uint16_t sig;
  };
  Place place_of(const FlowKey& k) const;
  Conn* search(const Bucket& b, uint16_t sig, const FlowKey& k, ConnDir* dir) const;
  // The first slot value of either bucket whose signature is `sig`, or kEmpty when neither has one.
  uint32_t first_candidate(const Place& p) const;
  bool add_slot(const FlowKey& k, uint32_t value);
  void remove_slot(const FlowKey& k, uint32_t value);

  uint32_t capacity_;
  uint32_t n_buckets_;
  uint32_t used_ = 0;
  uint32_t free_head_;
  Conn* conns_ = nullptr;
  Bucket* buckets_ = nullptr;
};

}  // namespace fulcrum::ipvs
