#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <set>

#include "fullnat/local_port_pool.hpp"

using fulcrum::ipvs::LocalAddress;
using fulcrum::ipvs::LocalPortPool;

namespace {

LocalAddress v4(const char* text) {
  LocalAddress a;
  a.family = 4;
  inet_pton(AF_INET, text, a.addr);
  return a;
}

LocalAddress v6(const char* text) {
  LocalAddress a;
  a.family = 6;
  inet_pton(AF_INET6, text, a.addr);
  return a;
}

}  // namespace

TEST_CASE("a worker hands out only ports it owns, and every worker agrees on the owner") {
  const unsigned workers = 3;
  std::set<uint16_t> seen;
  for (unsigned w = 0; w < workers; ++w) {
    LocalPortPool pool(w, workers, 1024, 1123);
    REQUIRE(pool.add(v4("198.18.2.1")));
    LocalAddress a;
    uint16_t port;
    while (pool.acquire(4, &a, &port)) {
      CHECK(LocalPortPool::owner_of(port, workers) == w);
      CHECK(port >= 1024);
      CHECK(port <= 1123);
      CHECK(seen.insert(port).second);  // no two workers hand out one port
    }
  }
  CHECK(seen.size() == 100);  // between them, every port of the range
}

TEST_CASE("addresses are taken in turn, per family, until all their ports are used") {
  LocalPortPool pool(0, 1, 5000, 5001);
  REQUIRE(pool.add(v4("198.18.2.1")));
  REQUIRE(pool.add(v6("2001:db8::2")));
  REQUIRE(pool.add(v4("198.18.2.2")));
  CHECK_FALSE(pool.add(v4("198.18.2.1")));

  LocalAddress a;
  uint16_t port;
  std::multiset<std::string> got;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(pool.acquire(4, &a, &port));
    CHECK(a.family == 4);
    got.insert(a.to_string() + ":" + std::to_string(port));
  }
  CHECK(got == std::multiset<std::string>{"198.18.2.1:5000", "198.18.2.1:5001", "198.18.2.2:5000",
                                          "198.18.2.2:5001"});
  CHECK_FALSE(pool.acquire(4, &a, &port));  // exhausted: the caller counts a drop
  REQUIRE(pool.acquire(6, &a, &port));
  CHECK(a.to_string() == "2001:db8::2");
}

TEST_CASE("release returns a port once, and ignores ports it never handed out") {
  LocalPortPool pool(1, 2, 2000, 2009);  // owns 2001, 2003, ..., 2009
  const LocalAddress lip = v4("198.18.2.1");
  REQUIRE(pool.add(lip));
  CHECK(pool.free_ports(lip) == 5);
  LocalAddress a;
  uint16_t port;
  REQUIRE(pool.acquire(4, &a, &port));
  CHECK(port == 2001);
  CHECK(pool.free_ports(lip) == 4);
  CHECK(pool.release(lip, port));
  CHECK_FALSE(pool.release(lip, port));      // twice
  CHECK_FALSE(pool.release(lip, 2002));      // another worker's
  CHECK_FALSE(pool.release(lip, 3001));      // outside the range
  CHECK_FALSE(pool.release(v4("198.18.2.9"), 2003));  // no such address
  CHECK(pool.free_ports(lip) == 5);
}

TEST_CASE("a removed address hands out nothing and late releases are ignored") {
  LocalPortPool pool(0, 1, 100, 101);
  const LocalAddress lip = v4("198.18.2.1");
  REQUIRE(pool.add(lip));
  LocalAddress a;
  uint16_t port;
  REQUIRE(pool.acquire(4, &a, &port));
  REQUIRE(pool.remove(lip));
  CHECK_FALSE(pool.remove(lip));
  CHECK_FALSE(pool.release(lip, port));
  CHECK_FALSE(pool.acquire(4, &a, &port));
}

TEST_CASE("a range that leaves a worker no port is refused") {
  CHECK_THROWS_AS(LocalPortPool(3, 4, 1024, 1025), std::invalid_argument);
  CHECK_THROWS_AS(LocalPortPool(0, 0, 1024, 2000), std::invalid_argument);
}
