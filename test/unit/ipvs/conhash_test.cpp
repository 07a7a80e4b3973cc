#include <set>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;
using fulcrum::ipvs::kSchedFallback;
using fulcrum::ipvs::kSchedPort;

TEST_CASE("conhash spreads clients over equal dests within the ring's granularity") {
  const auto dests = equal_dests(10);
  const auto clients = random_clients(100000, 31);
  // 160 points per dest: shares within about a quarter of the mean.
  auto s = make("conhash", dests);
  auto counts = counts_per_dest(*s, dests.size(), clients);
  for (size_t i = 0; i < dests.size(); ++i) CHECK(counts[i] == Approx(10000).epsilon(0.25));
  // More points, finer shares.
  SchedConfig c;
  c.conhash_replicas = 2000;
  auto fine = make("conhash", dests, c);
  counts = counts_per_dest(*fine, dests.size(), clients);
  for (size_t i = 0; i < dests.size(); ++i) CHECK(counts[i] == Approx(10000).epsilon(0.08));
}

TEST_CASE("conhash gives a dest points, and so clients, in proportion to its weight") {
  const auto dests = dests_with_weights({1, 3, 6});
  auto s = make("conhash", dests);
  const auto counts = counts_per_dest(*s, dests.size(), random_clients(100000, 32));
  CHECK(counts[0] == Approx(10000).epsilon(0.2));
  CHECK(counts[1] == Approx(30000).epsilon(0.12));
  CHECK(counts[2] == Approx(60000).epsilon(0.08));
}

TEST_CASE("removing a dest from conhash moves only its own clients") {
  const auto clients = random_clients(100000, 33);
  auto dests = equal_dests(20);
  auto s = make("conhash", dests);
  const auto before = placements(*s, dests, clients);
  const DestId gone = dests[7].id;
  dests.erase(dests.begin() + 7);
  s->rebuild(dests);
  const auto after = placements(*s, dests, clients);
  size_t moved = 0;
  for (size_t k = 0; k < clients.size(); ++k) {
    if (before[k] == gone) {
      CHECK(after[k] != gone);
      ++moved;
    } else {
      CHECK(after[k] == before[k]);
    }
  }
  CHECK(static_cast<double>(moved) / clients.size() == Approx(1.0 / 20).epsilon(0.25));
}

TEST_CASE("adding a dest to conhash moves clients only to it") {
  const auto clients = random_clients(100000, 34);
  auto dests = equal_dests(20);
  auto s = make("conhash", dests);
  const auto before = placements(*s, dests, clients);
  dests.insert(dests.begin() + 3, dest_v4(500));
  s->rebuild(dests);
  const auto after = placements(*s, dests, clients);
  size_t moved = 0;
  for (size_t k = 0; k < clients.size(); ++k) {
    if (after[k] == before[k]) continue;
    ++moved;
    CHECK(after[k] == dests[3].id);
  }
  CHECK(static_cast<double>(moved) / clients.size() == Approx(1.0 / 21).epsilon(0.25));
}

TEST_CASE("conhash builds the same ring whatever order the dests come in") {
  auto dests = dests_with_weights({1, 2, 3, 1, 1, 5, 2, 8});
  const auto clients = random_clients(30000, 35);
  auto a = make("conhash", dests);
  const auto pa = placements(*a, dests, clients);
  for (uint64_t seed : {4, 5}) {
    shuffle(dests, seed);
    auto b = make("conhash", dests);
    CHECK(placements(*b, dests, clients) == pa);
  }
}

TEST_CASE("conhash hashes the source port only with kSchedPort") {
  const auto dests = equal_dests(6);
  auto plain = make("conhash", dests);
  SchedConfig c;
  c.flags = kSchedPort;
  auto with_port = make("conhash", dests, c);
  std::set<DestIndex> plain_seen;
  std::set<DestIndex> port_seen;
  for (uint16_t port = 3000; port < 3100; ++port) {
    plain_seen.insert(plain->pick(client_v4(0x0b000003, port)));
    port_seen.insert(with_port->pick(client_v4(0x0b000003, port)));
  }
  CHECK(plain_seen.size() == 1);
  CHECK(port_seen.size() == 6);
}

TEST_CASE("conhash sends an overloaded dest's clients clockwise with kSchedFallback, none without") {
  auto dests = equal_dests(8);
  const auto clients = random_clients(20000, 36);
  SchedConfig c;
  c.flags = kSchedFallback;
  auto plain = make("conhash", dests);
  auto fallback = make("conhash", dests, c);
  const auto before = placements(*fallback, dests, clients);

  // Where they go must be where they would go if the dest were gone.
  auto without = dests;
  without.erase(without.begin() + 4);
  auto reference = make("conhash", without);
  const auto expected = placements(*reference, without, clients);

  dests[4].flags |= kDestOverload;
  const auto after = placements(*fallback, dests, clients);
  for (size_t k = 0; k < clients.size(); ++k) {
    if (before[k] == dests[4].id) CHECK(plain->pick(clients[k]) == kNoDest);
    CHECK(after[k] == expected[k]);
  }
}

TEST_CASE("conhash gives a dest of weight 0 no points") {
  auto dests = dests_with_weights({2, 0, 2});
  auto s = make("conhash", dests);
  const auto counts = counts_per_dest(*s, dests.size(), random_clients(10000, 37));
  CHECK(counts[1] == 0);
  CHECK(counts[3] == 0);
}

TEST_CASE("conhash scales the ring down past its limit and still serves every dest") {
  // 1000 dests of weight 100 would be 16M points; the ring holds 2^20.
  auto dests = dests_with_weights(std::vector<uint32_t>(1000, 100));
  dests[0].weight = 300;
  auto s = make("conhash", dests);
  const auto counts = counts_per_dest(*s, dests.size(), random_clients(300000, 38));
  CHECK(counts[0] == Approx(900).epsilon(0.3));
  for (size_t i = 1; i < dests.size(); ++i) CHECK(counts[i] > 100);  // 300 expected
}
