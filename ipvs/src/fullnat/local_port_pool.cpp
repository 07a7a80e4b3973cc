#include "local_port_pool.hpp"

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
    : worker_(worker), workers_(workers), min_port_(min_port) {
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

int LocalPortPool::find(const LocalAddress& a) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].address == a) return static_cast<int>(i);
  }
  return -1;
}

// Owned ports are every workers-th port from the first one at or above min_port.
int LocalPortPool::index_of(uint16_t port) const {
  if (port < owned_ports_.front() || port > owned_ports_.back() || port % workers_ != worker_) return -1;
  return static_cast<int>((port - owned_ports_.front()) / workers_);
}

bool LocalPortPool::add(const LocalAddress& a) {
  if (find(a) >= 0) return false;
  Entry e;
  e.address = a;
  // Lowest ports on top, so the first connections get predictable ports (readable in captures and tests).
  e.free.assign(owned_ports_.rbegin(), owned_ports_.rend());
  e.in_use.assign(owned_ports_.size(), 0);
  entries_.push_back(std::move(e));
  return true;
}

bool LocalPortPool::remove(const LocalAddress& a) {
  const int i = find(a);
  if (i < 0) return false;
  entries_.erase(entries_.begin() + i);
  if (next_ >= entries_.size()) next_ = 0;
  return true;
}

bool LocalPortPool::acquire(uint8_t family, LocalAddress* out, uint16_t* port) {
  const size_t n = entries_.size();
  for (size_t tried = 0; tried < n; ++tried) {
    Entry& e = entries_[(next_ + tried) % n];
    if (e.address.family != family || e.free.empty()) continue;
    const uint16_t p = e.free.back();
    e.free.pop_back();
    e.in_use[static_cast<size_t>(index_of(p))] = 1;
    next_ = (next_ + tried + 1) % n;
    *out = e.address;
    *port = p;
    return true;
  }
  return false;
}

bool LocalPortPool::release(const LocalAddress& a, uint16_t port) {
  const int i = find(a);
  const int at = index_of(port);
  if (i < 0 || at < 0) return false;
  Entry& e = entries_[static_cast<size_t>(i)];
  if (!e.in_use[static_cast<size_t>(at)]) return false;
  e.in_use[static_cast<size_t>(at)] = 0;
  e.free.push_back(port);
  return true;
}

size_t LocalPortPool::free_ports(const LocalAddress& a) const {
  const int i = find(a);
  return i < 0 ? 0 : entries_[static_cast<size_t>(i)].free.size();
}

}  // namespace fulcrum::ipvs
