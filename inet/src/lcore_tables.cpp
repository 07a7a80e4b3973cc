#include "fulcrum/inet/lcore_tables.hpp"

#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

namespace fulcrum::inet {
namespace {

// An IPv6 prefix longer than /24 takes one tbl8 group per further byte it spans; /64 routes, the common case,
// take five. Room for that many per route keeps `max_routes` honest for IPv6.
constexpr uint32_t kTbl8PerRoute6 = 5;

uintptr_t to_data(uint32_t slot) { return slot; }

rte_hash* make_hash(const char* what, unsigned lcore, uint32_t entries, uint32_t key_len) {
  char name[RTE_HASH_NAMESIZE];
  std::snprintf(name, sizeof name, "inet_%s_%u", what, lcore);
  rte_hash_parameters p{};
  p.name = name;
  // The cuckoo table may refuse a key before it is full; the extendable buckets take the overflow, so the
  // master's limit is the only one.
  p.entries = std::max<uint32_t>(entries, 8);
  p.key_len = key_len;
  p.hash_func = rte_hash_crc;
  p.hash_func_init_val = 0;
  p.socket_id = static_cast<int>(rte_lcore_to_socket_id(lcore));
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* h = rte_hash_create(&p);
  if (h == nullptr) {
    throw std::runtime_error(std::string("inet: cannot create hash ") + name + " (" + std::to_string(entries) +
                             " entries): " + rte_strerror(rte_errno) + " (raise eal.memory_mb)");
  }
  return h;
}

}  // namespace

LcoreTables::LcoreTables(unsigned lcore, const TableLimits& limits) : limits_(limits) {
  const int socket = static_cast<int>(rte_lcore_to_socket_id(lcore));
  try {
    addr4_ = make_hash("a4", lcore, limits.addresses, sizeof(uint32_t));
    addr6_ = make_hash("a6", lcore, limits.addresses, 16);
    neigh_ = make_hash("nb", lcore, limits.neighbours, sizeof(NeighKey));

    char name[64];
    std::snprintf(name, sizeof name, "inet_fib4_%u", lcore);
    rte_fib_conf c4{};
    c4.type = RTE_FIB_DIR24_8;
    c4.default_nh = 0;  // slot 0: no route
    c4.max_routes = static_cast<int>(2 * limits.routes + 16);  // the RIB's inner nodes come from the same pool
    c4.rib_ext_sz = 0;
    c4.dir24_8.nh_sz = RTE_FIB_DIR24_8_2B;
    c4.dir24_8.num_tbl8 = std::min<uint32_t>(kMaxNextHops, limits.routes + 64);
    fib4_ = rte_fib_create(name, socket, &c4);
    if (fib4_ == nullptr) {
      throw std::runtime_error(std::string("inet: cannot create the IPv4 FIB ") + name + ": " +
                               rte_strerror(rte_errno) + " (it needs 32 MiB per worker; raise eal.memory_mb)");
    }
    std::snprintf(name, sizeof name, "inet_fib6_%u", lcore);
    rte_fib6_conf c6{};
    c6.type = RTE_FIB6_TRIE;
    c6.default_nh = 0;
    c6.max_routes = static_cast<int>(2 * limits.routes + 16);
    c6.rib_ext_sz = 0;
    c6.trie.nh_sz = RTE_FIB6_TRIE_2B;
    c6.trie.num_tbl8 = std::min<uint32_t>(kMaxNextHops, limits.routes * kTbl8PerRoute6 + 64);
    fib6_ = rte_fib6_create(name, socket, &c6);
    if (fib6_ == nullptr) {
      throw std::runtime_error(std::string("inet: cannot create the IPv6 FIB ") + name + ": " +
                               rte_strerror(rte_errno) + " (it needs 32 MiB per worker; raise eal.memory_mb)");
    }
  } catch (...) {
    release();
    throw;
  }
  addrs_.resize(limits.addresses + 1);
  nexthops_.resize(limits.nexthops() + 1);
  neighs_.resize(limits.neighbours + 1);
  ifs_.resize(kMaxIfindex);
}

LcoreTables::~LcoreTables() { release(); }

void LcoreTables::release() {
  rte_hash_free(addr4_);
  rte_hash_free(addr6_);
  rte_hash_free(neigh_);
  rte_fib_free(fib4_);
  rte_fib6_free(fib6_);
  addr4_ = addr6_ = neigh_ = nullptr;
  fib4_ = nullptr;
  fib6_ = nullptr;
}

int LcoreTables::apply(const TableMsg& m) {
  switch (m.op) {
    case TableOp::if_set:
    case TableOp::if_del:
      return apply_if(m);
    case TableOp::addr_add:
    case TableOp::addr_del:
      return apply_addr(m);
    case TableOp::nexthop_set:
    case TableOp::route_set:
    case TableOp::route_del:
      return apply_route(m);
    case TableOp::neigh_set:
    case TableOp::neigh_del:
      return apply_neigh(m);
    case TableOp::settings:
      if (m.flags & kSetForwarding) forwarding_[family_index(m.family)] = (m.slot & kSetForwarding) != 0;
      return 0;
  }
  return EINVAL;
}

int LcoreTables::apply_if(const TableMsg& m) {
  if (m.ifindex == 0 || m.ifindex >= kMaxIfindex) return EINVAL;
  IfView& v = ifs_[m.ifindex];
  if (m.op == TableOp::if_del) {
    v = IfView{};
    return 0;
  }
  v.present = true;
  v.mtu = m.mtu;
  std::memcpy(v.mac.addr_bytes, m.mac.data(), RTE_ETHER_ADDR_LEN);
  v.has_src[0] = (m.flags & kIfHasSrc4) != 0;
  v.has_src[1] = (m.flags & kIfHasSrc6) != 0;
  v.src[0] = Addr::from_bytes(Family::v4, m.addr.data());
  v.src[1] = Addr::from_bytes(Family::v6, m.addr2.data());
  return 0;
}

int LcoreTables::apply_addr(const TableMsg& m) {
  if (m.slot == 0 || m.slot >= addrs_.size()) return EINVAL;
  rte_hash* h = m.family == Family::v4 ? addr4_ : addr6_;
  alignas(8) uint8_t key[16];
  std::memcpy(key, m.addr.data(), sizeof key);
  AddrEntry& e = addrs_[m.slot];
  if (m.op == TableOp::addr_del) {
    if (!e.present) return ENOENT;
    rte_hash_del_key(h, key);
    e = AddrEntry{};
    --addr_count_;
    return 0;
  }
  const int rc = rte_hash_add_key_data(h, key, reinterpret_cast<void*>(to_data(m.slot)));
  if (rc != 0) return -rc;
  if (!e.present) ++addr_count_;
  e.addr = m.address();
  e.ifindex = m.ifindex;
  e.plen = m.plen;
  e.flags = m.flags;
  e.present = true;
  return 0;
}

int LcoreTables::apply_route(const TableMsg& m) {
  if (m.op == TableOp::nexthop_set) {
    if (m.slot == 0 || m.slot >= nexthops_.size()) return EINVAL;
    NextHop& nh = nexthops_[m.slot];
    nh.ifindex = m.ifindex;
    nh.family = m.family;
    nh.flags = static_cast<uint8_t>(m.flags);
    nh.gateway = m.addr2;
    return 0;
  }
  int rc;
  if (m.family == Family::v4) {
    const uint32_t ip = rte_be_to_cpu_32(m.address().v4_be());
    rc = m.op == TableOp::route_set ? rte_fib_add(fib4_, ip, m.plen, m.slot) : rte_fib_delete(fib4_, ip, m.plen);
  } else {
    rc = m.op == TableOp::route_set ? rte_fib6_add(fib6_, m.addr.data(), m.plen, m.slot)
                                    : rte_fib6_delete(fib6_, m.addr.data(), m.plen);
  }
  return rc < 0 ? -rc : 0;
}

int LcoreTables::apply_neigh(const TableMsg& m) {
  NeighKey key;
  key.family = m.family;
  key.ifindex = m.ifindex;
  key.addr = m.addr;
  if (m.op == TableOp::neigh_del) {
    void* data = nullptr;
    if (rte_hash_lookup_data(neigh_, &key, &data) < 0) return 0;  // never installed (it never had a MAC)
    const auto slot = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
    rte_hash_del_key(neigh_, &key);
    if (slot < neighs_.size()) neighs_[slot] = NeighEntry{};
    return 0;
  }
  if (m.slot == 0 || m.slot >= neighs_.size()) return EINVAL;
  const int rc = rte_hash_add_key_data(neigh_, &key, reinterpret_cast<void*>(to_data(m.slot)));
  if (rc != 0) return -rc;
  NeighEntry& e = neighs_[m.slot];
  e.key = key;
  std::memcpy(e.mac.addr_bytes, m.mac.data(), RTE_ETHER_ADDR_LEN);
  e.state = m.state;
  e.present = true;
  return 0;
}

const AddrEntry* LcoreTables::find_addr4(uint32_t be) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(addr4_, &be, &data) < 0) return nullptr;
  return &addrs_[reinterpret_cast<uintptr_t>(data)];
}

const AddrEntry* LcoreTables::find_addr6(const uint8_t* a) const {
  // rte_hash_crc reads the key 8 bytes at a time: an address in a packet is seldom 8-aligned.
  alignas(8) uint8_t key[16];
  std::memcpy(key, a, sizeof key);
  void* data = nullptr;
  if (rte_hash_lookup_data(addr6_, key, &data) < 0) return nullptr;
  return &addrs_[reinterpret_cast<uintptr_t>(data)];
}

void LcoreTables::find_addr4_bulk(const uint32_t* be, unsigned n, const AddrEntry** out) const {
  const void* keys[64];
  void* data[64];
  while (n > 0) {
    const unsigned chunk = std::min(n, 64u);
    for (unsigned i = 0; i < chunk; ++i) keys[i] = &be[i];
    uint64_t hits = 0;
    rte_hash_lookup_bulk_data(addr4_, keys, chunk, &hits, data);
    for (unsigned i = 0; i < chunk; ++i) {
      out[i] = (hits >> i) & 1 ? &addrs_[reinterpret_cast<uintptr_t>(data[i])] : nullptr;
    }
    be += chunk;
    out += chunk;
    n -= chunk;
  }
}

void LcoreTables::route4_bulk(uint32_t* ips_host, uint64_t* nh, unsigned n) const {
  rte_fib_lookup_bulk(fib4_, ips_host, nh, static_cast<int>(n));
}

void LcoreTables::route6_bulk(uint8_t (*ips)[16], uint64_t* nh, unsigned n) const {
  rte_fib6_lookup_bulk(fib6_, ips, nh, static_cast<int>(n));
}

uint32_t LcoreTables::route(const Addr& dst) const {
  uint64_t nh = 0;
  if (dst.family == Family::v4) {
    uint32_t ip = rte_be_to_cpu_32(dst.v4_be());
    route4_bulk(&ip, &nh, 1);
  } else {
    uint8_t ip[1][16];
    std::memcpy(ip[0], dst.data(), 16);
    route6_bulk(ip, &nh, 1);
  }
  return static_cast<uint32_t>(nh);
}

uint32_t LcoreTables::find_neigh(const NeighKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(neigh_, &key, &data) < 0) return 0;
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
}

}  // namespace fulcrum::inet
