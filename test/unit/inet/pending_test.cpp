#include "fulcrum/inet/pending.hpp"

#include <catch2/catch.hpp>

using namespace fulcrum::inet;

namespace {
rte_mbuf* pkt(uintptr_t n) { return reinterpret_cast<rte_mbuf*>(n); }  // never dereferenced here
}  // namespace

TEST_CASE("packets wait per neighbour, bounded both ways, and leave in order") {
  PendingQueue q;
  q.init(2, 3);
  const NeighKey a = NeighKey::of(1, *Addr::parse("198.18.0.2"));
  const NeighKey b = NeighKey::of(1, *Addr::parse("2001:db8::2"));
  const NeighKey c = NeighKey::of(2, *Addr::parse("198.18.0.2"));
  CHECK(q.enqueue(a, pkt(1), 10) == PendingQueue::Result::queued_first);
  CHECK(q.enqueue(a, pkt(2), 11) == PendingQueue::Result::queued);
  CHECK(q.enqueue(a, pkt(3), 12) == PendingQueue::Result::queued);
  CHECK(q.enqueue(a, pkt(4), 13) == PendingQueue::Result::full);
  CHECK(q.enqueue(b, pkt(5), 14) == PendingQueue::Result::queued_first);
  CHECK(q.enqueue(c, pkt(6), 15) == PendingQueue::Result::full);  // no neighbour slot left
  CHECK(q.active() == 2);
  std::vector<uintptr_t> out;
  CHECK(q.take(a, [&](rte_mbuf* m) { out.push_back(reinterpret_cast<uintptr_t>(m)); }) == 3);
  CHECK(out == std::vector<uintptr_t>{1, 2, 3});
  CHECK(q.take(a, [&](rte_mbuf*) {}) == 0);
  CHECK(q.enqueue(c, pkt(7), 100) == PendingQueue::Result::queued_first);
  // b waited since 14: expired at 114 with max_age 100, c (since 100) not yet.
  std::vector<NeighKey> expired;
  CHECK(q.expire(114, 100, [&](const NeighKey& k, rte_mbuf*) { expired.push_back(k); }) == 1);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0] == b);
  CHECK(q.active() == 1);
  // Ticks wrap around.
  PendingQueue w;
  w.init(1, 1);
  CHECK(w.enqueue(a, pkt(1), 0xfffffff0u) == PendingQueue::Result::queued_first);
  CHECK(w.expire(0x10, 0x30, [](const NeighKey&, rte_mbuf*) {}) == 0);
  CHECK(w.expire(0x20, 0x30, [](const NeighKey&, rte_mbuf*) {}) == 1);
}
