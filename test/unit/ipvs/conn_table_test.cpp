#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <random>
#include <vector>

#include "conn/conn_table.hpp"

using fulcrum::ipvs::Conn;
using fulcrum::ipvs::ConnDir;
using fulcrum::ipvs::ConnTable;
using fulcrum::ipvs::FlowKey;

namespace {

// A FullNAT connection: client 198.18.(i) -> VIP 198.19.0.1:80, real server 198.19.1.(i%250):8080 <- local
// address 198.19.2.(i/60000):(1024 + i%60000), so both keys are unique per i.
void fill(Conn* c, uint32_t i) {
  c->family = 4;
  c->proto = IPPROTO_TCP;
  const uint32_t client = htonl(0xc6120000u + i);
  const uint32_t vip = htonl(0xc6130001u);
  const uint32_t rs = htonl(0xc6130100u + i % 250);
  const uint32_t lip = htonl(0xc6130200u + i / 60000);
  std::memcpy(c->caddr, &client, 4);
  std::memcpy(c->vaddr, &vip, 4);
  std::memcpy(c->daddr, &rs, 4);
  std::memcpy(c->laddr, &lip, 4);
  c->cport = htons(static_cast<uint16_t>(10000 + i % 50000));
  c->vport = htons(80);
  c->dport = htons(8080);
  c->lport = htons(static_cast<uint16_t>(1024 + i % 60000));
}

}  // namespace

TEST_CASE("a connection is found from both directions and gone after free") {
  ConnTable t(1000);
  Conn* c = t.alloc();
  REQUIRE(c != nullptr);
  fill(c, 7);
  REQUIRE(t.insert(c));
  CHECK(t.size() == 1);

  ConnDir dir;
  CHECK(t.lookup(c->key(ConnDir::in), &dir) == c);
  CHECK(dir == ConnDir::in);
  CHECK(t.lookup(c->key(ConnDir::out), &dir) == c);
  CHECK(dir == ConnDir::out);

  FlowKey other = c->key(ConnDir::in);
  other.sport ^= 1;
  CHECK(t.lookup(other, &dir) == nullptr);
  other = c->key(ConnDir::in);
  other.proto = IPPROTO_UDP;
  CHECK(t.lookup(other, &dir) == nullptr);

  const FlowKey in = c->key(ConnDir::in);
  t.free(c);
  CHECK(t.size() == 0);
  CHECK(t.lookup(in, &dir) == nullptr);
}

TEST_CASE("a key can be indexed once only") {
  ConnTable t(10);
  Conn* a = t.alloc();
  Conn* b = t.alloc();
  fill(a, 1);
  fill(b, 1);
  REQUIRE(t.insert(a));
  CHECK_FALSE(t.insert(b));
  t.free(b);
  ConnDir dir;
  CHECK(t.lookup(a->key(ConnDir::out), &dir) == a);  // the failed insert took nothing of a's away
}

TEST_CASE("IPv6 keys use all 16 bytes") {
  ConnTable t(10);
  Conn* c = t.alloc();
  c->family = 6;
  c->proto = IPPROTO_TCP;
  inet_pton(AF_INET6, "2001:db8::1", c->caddr);
  inet_pton(AF_INET6, "2001:db8::80", c->vaddr);
  inet_pton(AF_INET6, "2001:db8:1::1", c->daddr);
  inet_pton(AF_INET6, "2001:db8:2::1", c->laddr);
  c->cport = htons(1234);
  c->vport = htons(80);
  c->dport = htons(80);
  c->lport = htons(5000);
  REQUIRE(t.insert(c));
  FlowKey k = c->key(ConnDir::in);
  ConnDir dir;
  CHECK(t.lookup(k, &dir) == c);
  k.saddr[15] ^= 1;  // differs in the last byte only
  CHECK(t.lookup(k, &dir) == nullptr);
}

TEST_CASE("the table fills to its capacity, then refuses, and reuses freed entries") {
  const uint32_t n = 50000;
  ConnTable t(n);
  std::vector<Conn*> conns;
  for (uint32_t i = 0; i < n; ++i) {
    Conn* c = t.alloc();
    REQUIRE(c != nullptr);
    fill(c, i);
    REQUIRE(t.insert(c));  // two-choice buckets at full capacity: no overflow for this many
    conns.push_back(c);
  }
  CHECK(t.alloc() == nullptr);
  CHECK(t.size() == n);

  // Every one is found both ways, through the burst lookup too.
  std::vector<FlowKey> keys;
  for (Conn* c : conns) keys.push_back(c->key(ConnDir::out));
  std::vector<const FlowKey*> ptrs;
  for (const auto& k : keys) ptrs.push_back(&k);
  std::vector<Conn*> found(n);
  std::vector<ConnDir> dirs(n);
  t.lookup_burst(ptrs.data(), n, found.data(), dirs.data());
  for (uint32_t i = 0; i < n; ++i) {
    REQUIRE(found[i] == conns[i]);
    REQUIRE(dirs[i] == ConnDir::out);
  }

  // Free a random half and put new ones in their place.
  std::mt19937 rng(42);
  std::shuffle(conns.begin(), conns.end(), rng);
  for (uint32_t i = 0; i < n / 2; ++i) t.free(conns[i]);
  CHECK(t.size() == n / 2);
  for (uint32_t i = 0; i < n / 2; ++i) {
    Conn* c = t.alloc();
    REQUIRE(c != nullptr);
    fill(c, n + i);
    REQUIRE(t.insert(c));
  }
  ConnDir dir;
  for (uint32_t i = n / 2; i < n; ++i) REQUIRE(t.lookup(conns[i]->key(ConnDir::in), &dir) == conns[i]);
}

TEST_CASE("a capacity of zero is refused") { CHECK_THROWS_AS(ConnTable(0), std::invalid_argument); }

TEST_CASE("the burst lookup agrees with the single one, signature collisions and absent keys included") {
  // 60000 connections, both directions indexed: 120000 keys over 16-bit signatures, so a few thousand lookups
  // meet another key's signature first and take the full search (about 16 slots in 65536 per lookup).
  const uint32_t n = 60000;
  ConnTable t(n);
  for (uint32_t i = 0; i < n; ++i) {
    Conn* c = t.alloc();
    REQUIRE(c != nullptr);
    fill(c, i);
    REQUIRE(t.insert(c));
  }
  std::vector<FlowKey> keys;
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < 3 * n; ++i) {
    Conn probe{};
    fill(&probe, i < 2 * n ? i / 2 : n + rng() % 1000000);  // live ones both ways, then absent ones
    keys.push_back(probe.key(i % 2 == 0 ? ConnDir::in : ConnDir::out));
  }
  std::vector<const FlowKey*> ptrs;
  for (const auto& k : keys) ptrs.push_back(&k);
  std::vector<Conn*> found(keys.size());
  std::vector<ConnDir> dirs(keys.size());
  t.lookup_burst(ptrs.data(), static_cast<unsigned>(keys.size()), found.data(), dirs.data());
  size_t hits = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    ConnDir d;
    Conn* expect = t.lookup(keys[i], &d);
    REQUIRE(found[i] == expect);
    if (expect != nullptr) {
      REQUIRE(dirs[i] == d);
      ++hits;
    }
  }
  CHECK(hits >= 2 * n);
}
