#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <memory>
#include <set>
#include <vector>

#include "fulcrum/ipvs/local_port_pool.hpp"

using fulcrum::ipvs::kMaxLaddrs;
using fulcrum::ipvs::LocalAddress;
using fulcrum::ipvs::LocalPortPool;

namespace {

LocalAddress v4(const char* text) {
  LocalAddress a;
  a.family = 4;
  inet_pton(AF_INET, text, a.addr);
  return a;
}

// The master's side: it builds each entry and keeps owning it.
struct Owner {
  std::vector<std::unique_ptr<LocalPortPool::Entry>> entries;
  bool add(LocalPortPool& pool, uint16_t id, const LocalAddress& a) {
    entries.push_back(pool.prepare(a));
    return pool.install(id, entries.back().get());
  }
};

}  // namespace

TEST_CASE("a worker hands out only ports it owns, and every worker agrees on the owner") {
  const unsigned workers = 3;
  std::set<uint16_t> seen;
  Owner owner;
  for (unsigned w = 0; w < workers; ++w) {
    LocalPortPool pool(w, workers, 1024, 1123);
    REQUIRE(owner.add(pool, 0, v4("198.18.2.1")));
    uint16_t port;
    while (pool.acquire(0, &port)) {
      CHECK(LocalPortPool::owner_of(port, workers) == w);
      CHECK(port >= 1024);
      CHECK(port <= 1123);
      CHECK(seen.insert(port).second);  // no two workers hand out one port
    }
  }
  CHECK(seen.size() == 100);  // between them, every port of the range
}

TEST_CASE("each address has its own ports, lowest first, until all are used") {
  LocalPortPool pool(0, 1, 5000, 5001);
  Owner owner;
  REQUIRE(owner.add(pool, 0, v4("198.18.2.1")));
  REQUIRE(owner.add(pool, 7, v4("198.18.2.2")));
  CHECK_FALSE(owner.add(pool, 7, v4("198.18.2.3")));  // the id is taken
  CHECK_FALSE(owner.add(pool, kMaxLaddrs, v4("198.18.2.3")));
  CHECK(pool.address(7)->to_string() == "198.18.2.2");
  CHECK(pool.address(3) == nullptr);

  uint16_t port;
  REQUIRE(pool.acquire(0, &port));
  CHECK(port == 5000);
  REQUIRE(pool.acquire(0, &port));
  CHECK(port == 5001);
  CHECK_FALSE(pool.acquire(0, &port));  // exhausted: the caller counts a drop
  REQUIRE(pool.acquire(7, &port));
  CHECK(port == 5000);
  CHECK_FALSE(pool.acquire(3, &port));  // no such address
}

TEST_CASE("release returns a port once, and ignores ports it never handed out") {
  LocalPortPool pool(1, 2, 2000, 2009);  // owns 2001, 2003, ..., 2009
  Owner owner;
  REQUIRE(owner.add(pool, 2, v4("198.18.2.1")));
  CHECK(pool.free_ports(2) == 5);
  CHECK(pool.ports_per_address() == 5);
  uint16_t port;
  REQUIRE(pool.acquire(2, &port));
  CHECK(port == 2001);
  CHECK(pool.free_ports(2) == 4);
  CHECK(pool.release(2, port));
  CHECK_FALSE(pool.release(2, port));  // twice
  CHECK_FALSE(pool.release(2, 2002));  // another worker's
  CHECK_FALSE(pool.release(2, 3001));  // outside the range
  CHECK_FALSE(pool.release(5, 2003));  // no such address
  CHECK_FALSE(pool.release(kMaxLaddrs, 2003));
  CHECK(pool.free_ports(2) == 5);
}

TEST_CASE("a range that leaves a worker no port is refused") {
  CHECK_THROWS_AS(LocalPortPool(3, 4, 1024, 1025), std::invalid_argument);
  CHECK_THROWS_AS(LocalPortPool(0, 0, 1024, 2000), std::invalid_argument);
}

TEST_CASE("a released port is handed out again only after every other free port") {
  LocalPortPool pool(0, 1, 3000, 3003);
  Owner owner;
  REQUIRE(owner.add(pool, 0, v4("198.18.2.1")));
  uint16_t a, b, port;
  REQUIRE(pool.acquire(0, &a));
  REQUIRE(pool.acquire(0, &b));
  CHECK(a == 3000);
  CHECK(b == 3001);
  REQUIRE(pool.release(0, a));
  // A real server may still hold 3000's tuple in TIME_WAIT: the ports never used come first.
  std::vector<uint16_t> order;
  while (pool.acquire(0, &port)) order.push_back(port);
  CHECK(order == std::vector<uint16_t>{3002, 3003, 3000});
  // Released in any order, they come back in that order, and the ring holds them all.
  for (uint16_t p : {uint16_t{3003}, uint16_t{3001}, uint16_t{3000}, uint16_t{3002}}) CHECK(pool.release(0, p));
  CHECK(pool.free_ports(0) == 4);
  order.clear();
  while (pool.acquire(0, &port)) order.push_back(port);
  CHECK(order == std::vector<uint16_t>{3003, 3001, 3000, 3002});
}

TEST_CASE("an entry can start at any of its ports and still hands out each one once") {
  LocalPortPool pool(1, 2, 4000, 4009);  // owns 4001, 4003, ..., 4009
  std::vector<std::unique_ptr<LocalPortPool::Entry>> entries;
  entries.push_back(pool.prepare(v4("198.18.2.1"), 7));  // 7 mod 5: the third port
  REQUIRE(pool.install(1, entries.back().get()));
  std::vector<uint16_t> order;
  uint16_t port;
  while (pool.acquire(1, &port)) order.push_back(port);
  CHECK(order == std::vector<uint16_t>{4005, 4007, 4009, 4001, 4003});
}
