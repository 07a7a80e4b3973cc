#include "neigh_master.hpp"

#include <cerrno>
#include <cstddef>
#include <type_traits>

namespace fulcrum::inet {

NeighMaster::NeighMaster(const NeighConfig& cfg, uint32_t capacity, uint32_t tick_us, core::TimerWheel& wheel,
                         NeighEnv& env)
    : cfg_(cfg), tick_us_(tick_us == 0 ? 1000 : tick_us), wheel_(wheel), env_(env), slots_(capacity) {
  static_assert(std::is_standard_layout_v<Entry> && offsetof(Entry, timer) == 0);
  kind_ = wheel_.register_kind(&NeighMaster::on_timer, this);
}

NeighMaster::~NeighMaster() {
  for (auto& [key, e] : entries_) wheel_.cancel(e->timer);
}

void NeighMaster::arm(Entry& e, uint32_t ms) {
  const uint64_t ticks = static_cast<uint64_t>(ms) * 1000 / tick_us_;
  wheel_.arm(e.timer, kind_, static_cast<uint32_t>(ticks == 0 ? 1 : ticks));
}

uint32_t NeighMaster::reachable_jitter_ms() {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const uint32_t span = cfg_.reachable_ms / 2;  // 0.75x .. 1.25x
  return cfg_.reachable_ms - cfg_.reachable_ms / 4 + (span == 0 ? 0 : static_cast<uint32_t>(rng_ % span));
}

bool NeighMaster::used_since(const Entry& e, uint32_t since) const {
  const uint32_t used = env_.last_used(e.slot);
  return used != 0 && static_cast<int32_t>(used - since) >= 0;
}

void NeighMaster::push_set(const Entry& e) {
  TableMsg m;
  m.op = TableOp::neigh_set;
  m.family = e.key.family;
  m.ifindex = e.key.ifindex;
  m.addr = e.key.addr;
  m.slot = e.slot;
  m.mac = e.mac;
  m.state = e.state;
  env_.push(m);
}

void NeighMaster::push_del(const Entry& e) {
  TableMsg m;
  m.op = TableOp::neigh_del;
  m.family = e.key.family;
  m.ifindex = e.key.ifindex;
  m.addr = e.key.addr;
  m.slot = e.slot;
  env_.push(m);
}

void NeighMaster::set_mac_state(Entry& e, const Mac& mac, NeighState state) {
  e.mac = mac;
  e.mac_known = true;
  e.state = state;
  e.probes = 0;
  e.updated = wheel_.now();
  push_set(e);
  arm(e, state == NeighState::reachable ? reachable_jitter_ms() : cfg_.delay_ms);
}

bool NeighMaster::resolve(const NeighKey& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    const uint32_t slot = slots_.take();
    if (slot == 0) return false;
    auto e = std::make_unique<Entry>();
    e->key = key;
    e->slot = slot;
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry& e = *it->second;
  if (has_mac(e.state)) {
    push_set(e);  // the asking worker is behind (a lost or late message): send the entry again
    return true;
  }
  if (e.state == NeighState::incomplete) return true;  // already on it
  e.state = NeighState::incomplete;
  e.probes = 1;
  e.updated = wheel_.now();
  env_.solicit(key, nullptr);
  arm(e, cfg_.retrans_ms);
  return true;
}

void NeighMaster::learnt(const NeighKey& key, const Mac* mac, bool confirmed, bool update_only) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (update_only || mac == nullptr) return;
    const uint32_t slot = slots_.take();
    if (slot == 0) return;
    auto e = std::make_unique<Entry>();
    e->key = key;
    e->slot = slot;
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry& e = *it->second;
  const NeighState target = confirmed ? NeighState::reachable : NeighState::stale;
  switch (e.state) {
    case NeighState::permanent:
      return;
    case NeighState::none:
    case NeighState::incomplete:
    case NeighState::failed:
      if (mac == nullptr) return;
      if (update_only && e.state != NeighState::incomplete) return;
      set_mac_state(e, *mac, target);
      return;
    case NeighState::reachable:
    case NeighState::stale:
    case NeighState::probe:
      if (mac != nullptr && *mac != e.mac) {
        set_mac_state(e, *mac, target);
      } else if (confirmed) {
        const bool changed = e.state != NeighState::reachable;
        e.state = NeighState::reachable;
        e.probes = 0;
        e.updated = wheel_.now();
        if (changed) push_set(e);
        arm(e, reachable_jitter_ms());
      }
      return;
  }
}

void NeighMaster::to_probe(Entry& e) {
  e.state = NeighState::probe;
  e.probes = 1;
  e.updated = wheel_.now();
  push_set(e);
  env_.solicit(e.key, &e.mac);
  arm(e, cfg_.retrans_ms);
}

void NeighMaster::on_timer(core::Timer* timer, void* self) {
  auto* nm = static_cast<NeighMaster*>(self);
  nm->expire(*reinterpret_cast<Entry*>(timer));
}

void NeighMaster::expire(Entry& e) {
  const uint32_t now = wheel_.now();
  switch (e.state) {
    case NeighState::incomplete:
      if (e.probes < cfg_.probes) {
        ++e.probes;
        env_.solicit(e.key, nullptr);
        arm(e, cfg_.retrans_ms);
        return;
      }
      e.state = NeighState::failed;
      e.updated = now;
      push_del(e);  // the workers drop what they held for it
      env_.failed(e.key);
      arm(e, cfg_.stale_ms);
      return;
    case NeighState::reachable:
      if (used_since(e, e.updated)) {
        to_probe(e);
      } else {
        e.state = NeighState::stale;
        e.updated = now;
        push_set(e);
        arm(e, cfg_.delay_ms);
      }
      return;
    case NeighState::stale:
      if (used_since(e, e.updated)) {
        to_probe(e);
      } else if (static_cast<uint64_t>(now - e.updated) * tick_us_ >= static_cast<uint64_t>(cfg_.stale_ms) * 1000) {
        erase(entries_.find(e.key));
      } else {
        arm(e, cfg_.delay_ms);
      }
      return;
    case NeighState::probe:
      if (e.probes < cfg_.probes) {
        ++e.probes;
        env_.solicit(e.key, &e.mac);
        arm(e, cfg_.retrans_ms);
        return;
      }
      e.state = NeighState::failed;
      e.updated = now;
      e.mac_known = false;
      push_del(e);
      env_.failed(e.key);
      arm(e, cfg_.stale_ms);
      return;
    case NeighState::failed:
      erase(entries_.find(e.key));
      return;
    case NeighState::none:
    case NeighState::permanent:
      return;
  }
}

void NeighMaster::erase(std::map<NeighKey, std::unique_ptr<Entry>>::iterator it) {
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  wheel_.cancel(e.timer);
  if (e.state != NeighState::failed) push_del(e);  // a FAILED entry is off the workers already
  slots_.give(e.slot);
  entries_.erase(it);
}

int NeighMaster::add_static(const NeighKey& key, const Mac& mac, std::string& err) {
  if ((mac[0] & 1) != 0 || mac == Mac{}) {
    err = "lladdr must be a unicast MAC address";
    return EINVAL;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    const uint32_t slot = slots_.take();
    if (slot == 0) {
      err = "the neighbour table is full (inet.max_neighbours)";
      return ENOSPC;
    }
    auto e = std::make_unique<Entry>();
    e->key = key;
    e->slot = slot;
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry& e = *it->second;
  wheel_.cancel(e.timer);
  e.mac = mac;
  e.mac_known = true;
  e.state = NeighState::permanent;
  e.probes = 0;
  e.updated = wheel_.now();
  push_set(e);
  return 0;
}

int NeighMaster::remove(const NeighKey& key, std::string& err) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    err = "no neighbour " + key.address().to_string();
    return ENOENT;
  }
  erase(it);
  return 0;
}

size_t NeighMaster::flush(std::optional<Family> family, Ifindex ifindex) {
  size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto next = std::next(it);
    const NeighKey& k = it->first;
    if (it->second->state != NeighState::permanent && (!family || k.family == *family) &&
        (ifindex == 0 || k.ifindex == ifindex)) {
      erase(it);
      ++n;
    }
    it = next;
  }
  return n;
}

void NeighMaster::remove_ifindex(Ifindex ifindex) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto next = std::next(it);
    if (it->first.ifindex == ifindex) erase(it);
    it = next;
  }
}

std::vector<NeighInfo> NeighMaster::list() const {
  std::vector<NeighInfo> out;
  for (const auto& [key, e] : entries_) {
    out.push_back({key, e->state, e->mac_known && has_mac(e->state), e->mac, e->probes, e->updated});
  }
  return out;
}

std::optional<NeighInfo> NeighMaster::find(const NeighKey& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = *it->second;
  return NeighInfo{key, e.state, e.mac_known && has_mac(e.state), e.mac, e.probes, e.updated};
}

}  // namespace fulcrum::inet
