// A worker's copies of the services and its index over them. Runs on the worker (install, zero, find) with
// no allocation; the constructors run on the master.

#include "fulcrum/ipvs/worker_service.hpp"

#include <bit>
#include <cstring>

namespace fulcrum::ipvs {
namespace {

uint64_t mix(uint64_t x) {
  // The 64-bit finaliser of MurmurHash3: every input bit moves every output bit.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Only the family's own address bytes count, as in DestId's order.
bool same_service(const ServiceKey& a, const ServiceKey& b) {
  return a.protocol == b.protocol && a.family == b.family && a.port == b.port &&
         std::memcmp(a.addr.bytes.data(), b.addr.bytes.data(), addr_len(a.family)) == 0;
}

}  // namespace

void Counters::copy_from(const Stats& s) {
  conns.store(s.conns, std::memory_order_relaxed);
  inpkts.store(s.inpkts, std::memory_order_relaxed);
  outpkts.store(s.outpkts, std::memory_order_relaxed);
  inbytes.store(s.inbytes, std::memory_order_relaxed);
  outbytes.store(s.outbytes, std::memory_order_relaxed);
}

Stats Counters::snapshot() const {
  Stats s;
  s.conns = conns.load(std::memory_order_relaxed);
  s.inpkts = inpkts.load(std::memory_order_relaxed);
  s.outpkts = outpkts.load(std::memory_order_relaxed);
  s.inbytes = inbytes.load(std::memory_order_relaxed);
  s.outbytes = outbytes.load(std::memory_order_relaxed);
  return s;
}

WorkerService::WorkerService(size_t n_dests)
    : dests(n_dests), extra(std::make_unique<WorkerDestExtra[]>(n_dests)), prev_index(n_dests, kNoDest) {}

void WorkerService::carry_from(const WorkerService& old) noexcept {
  stats.copy_from(old.stats.snapshot());
  for (size_t i = 0; i < dests.size(); ++i) {
    DestIndex j = prev_index[i];
    if (j >= old.dests.size() || !(old.dests[j].id == dests[i].id)) {
      j = kNoDest;
      for (size_t k = 0; k < old.dests.size(); ++k) {
        if (old.dests[k].id == dests[i].id) {
          j = static_cast<DestIndex>(k);
          break;
        }
      }
    }
    if (j == kNoDest) continue;
    const Dest& o = old.dests[j];
    Dest& d = dests[i];
    d.activeconns = o.activeconns;
    d.inactconns = o.inactconns;
    // The overload flag follows the counters under the new thresholds: set it as a bind would, and let an
    // unbind's rule clear it if the thresholds went up.
    d.flags = (d.flags & ~kDestOverload) | (o.flags & kDestOverload);
    update_overload_after_bind(d);
    update_overload_after_unbind(d);
    extra[i].stats.copy_from(old.extra[j].stats.snapshot());
  }
}

WorkerServices::WorkerServices(uint32_t max_services) : slots_(max_services, nullptr) {
  // At most half full, so that a probe stays short and an insert always finds room.
  const uint32_t n = std::bit_ceil(std::max<uint32_t>(max_services, 4) * 2);
  index_.assign(n, 0);
  mask_ = n - 1;
}

uint32_t WorkerServices::home(const ServiceKey& k) const noexcept {
  uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, k.addr.bytes.data(), 8);
  std::memcpy(&hi, k.addr.bytes.data() + 8, 8);
  if (k.family == Family::v4) lo &= 0xffffffffULL, hi = 0;  // what lies past an IPv4 address does not count
  const uint64_t meta = uint64_t{k.port} | uint64_t{k.protocol} << 16 | uint64_t{static_cast<uint8_t>(k.family)} << 24;
  return static_cast<uint32_t>(mix(lo ^ mix(hi ^ mix(meta)))) & mask_;
}

uint32_t WorkerServices::locate(const ServiceKey& k) const noexcept {
  for (uint32_t i = home(k);; i = (i + 1) & mask_) {
    const uint32_t e = index_[i];
    if (e == 0) return kNone;
    if (same_service(slots_[e - 1]->key, k)) return i;
  }
}

WorkerService* WorkerServices::find(uint8_t protocol, Family family, const IpAddr& vip,
                                    uint16_t vport) const noexcept {
  ServiceKey k{protocol, family, vip, vport};
  uint32_t i = locate(k);
  if (i == kNone && catch_all_ != 0 && vport != 0) {
    k.port = 0;
    i = locate(k);
  }
  return i == kNone ? nullptr : slots_[index_[i] - 1];
}

void WorkerServices::index_insert(uint32_t slot) noexcept {
  uint32_t i = home(slots_[slot]->key);
  while (index_[i] != 0) i = (i + 1) & mask_;
  index_[i] = slot + 1;
}

// Backward-shift deletion: no tombstones, so probes stay as short as the table's load allows.
// The entry is found by its slot, not its key: a worker that missed a delete may hold a key twice.
void WorkerServices::index_erase(const ServiceKey& k, uint32_t slot) noexcept {
  uint32_t hole = home(k);
  while (index_[hole] != 0 && index_[hole] != slot + 1) hole = (hole + 1) & mask_;
  if (index_[hole] == 0) return;
  for (uint32_t j = (hole + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
    const uint32_t h = home(slots_[index_[j] - 1]->key);
    // The entry at j may move back into the hole unless its home lies cyclically within (hole, j].
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = 0;
}

bool WorkerServices::install(uint32_t slot, WorkerService* next, WorkerService** old) noexcept {
  if (slot >= slots_.size()) return false;
  WorkerService* prev = slots_[slot];
  if (prev != nullptr) {
    index_erase(prev->key, slot);  // reads keys through slots_, so before the slot changes
    if (prev->key.port == 0) --catch_all_;
    --size_;
  }
  slots_[slot] = next;
  ++generation_;
  if (next != nullptr) {
    if (prev != nullptr && same_service(prev->key, next->key)) next->carry_from(*prev);
    index_insert(slot);
    if (next->key.port == 0) ++catch_all_;
    ++size_;
  }
  *old = prev;
  return true;
}

void WorkerServices::zero(uint32_t slot) noexcept {
  WorkerService* s = at(slot);
  if (s == nullptr) return;
  s->stats.zero();
  for (size_t i = 0; i < s->dests.size(); ++i) s->extra[i].stats.zero();
}

void WorkerServices::zero_all() noexcept {
  for (uint32_t i = 0; i < slots_.size(); ++i) zero(i);
}

}  // namespace fulcrum::ipvs
