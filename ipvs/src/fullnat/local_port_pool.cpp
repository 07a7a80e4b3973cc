#include "fulcrum/ipvs/local_port_pool.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace fulcrum::ipvs {

bool LocalAddress::operator==(const LocalAddress& o) const {
  return family == o.family && std::memcmp(addr, o.addr, sizeof addr) == 0;
}

std::string LocalAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
  return text;
}

LocalPortPool::LocalPortPool(unsigned worker, unsigned workers, uint16_t min_port, uint16_t max_port)
    : worker_(worker), workers_(workers), by_id_(kMaxLaddrs, nullptr) {
  if (workers == 0 || worker >= workers) {
    throw std::invalid_argument("local port pool: worker " + std::to_string(worker) + " of " +
                                std::to_string(workers));
  }
  for (uint32_t p = min_port; p <= max_port; ++p) {
    if (p % workers == worker) owned_ports_.push_back(static_cast<uint16_t>(p));
  }
  if (owned_ports_.empty()) {
    throw std::invalid_argument("local port range " + std::to_string(min_port) + "-" + std::to_string(max_port) +
                                " leaves worker " + std::to_string(worker) + " of " + std::to_string(workers) +
                                " no port");
  }
}

// Owned ports are every workers-th port from the first one at or above min_port.
int LocalPortPool::index_of(uint16_t port) const {
  if (port < owned_ports_.front() || port > owned_ports_.back() || port % workers_ != worker_) return -1;
  return static_cast<int>((port - owned_ports_.front()) / workers_);
}

std::unique_ptr<LocalPortPool::Entry> LocalPortPool::prepare(const LocalAddress& a, size_t start) const {
  auto e = std::make_unique<Entry>();
  e->address = a;
  e->ring = owned_ports_;
  e->head = start % owned_ports_.size();
  e->free = owned_ports_.size();
  e->in_use.assign(owned_ports_.size(), 0);
  return e;
}

bool LocalPortPool::install(uint16_t id, Entry* e) {
  if (id >= kMaxLaddrs || by_id_[id] != nullptr || e == nullptr) return false;
  by_id_[id] = e;
  return true;
}

bool LocalPortPool::acquire(uint16_t id, uint16_t* port) {
  Entry* e = id < kMaxLaddrs ? by_id_[id] : nullptr;
  if (e == nullptr || e->free == 0) return false;
  const uint16_t p = e->ring[e->head];
  e->head = e->head + 1 == e->ring.size() ? 0 : e->head + 1;
  --e->free;
  e->in_use[static_cast<size_t>(index_of(p))] = 1;
  *port = p;
  return true;
}

bool LocalPortPool::release(uint16_t id, uint16_t port) {
  Entry* e = id < kMaxLaddrs ? by_id_[id] : nullptr;
  const int at = index_of(port);
  if (e == nullptr || at < 0 || !e->in_use[static_cast<size_t>(at)]) return false;
  e->in_use[static_cast<size_t>(at)] = 0;
  // The tail: behind every port that is free now. in_use keeps a port from being queued twice, so the ring
  // (one slot per port) never overflows.
  size_t tail = e->head + e->free;
  if (tail >= e->ring.size()) tail -= e->ring.size();
  e->ring[tail] = port;
  ++e->free;
  return true;
}

}  // namespace fulcrum::ipvs
