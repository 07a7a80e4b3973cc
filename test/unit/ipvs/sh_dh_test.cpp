#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;
using fulcrum::ipvs::kSchedFallback;
using fulcrum::ipvs::kSchedPort;

TEST_CASE("sh keeps a client on one dest and spreads clients by weight") {
  const auto dests = dests_with_weights({1, 2, 3, 4});
  auto s = make("sh", dests);
  const auto clients = random_clients(100000, 1);
  const auto counts = counts_per_dest(*s, dests.size(), clients);
  for (size_t i = 0; i < dests.size(); ++i) CHECK(counts[i] == Approx(10000.0 * (i + 1)).epsilon(0.04));
  CHECK(counts[dests.size()] == 0);
  for (int k = 0; k < 1000; ++k) CHECK(s->pick(clients[k]) == s->pick(clients[k]));
}

TEST_CASE("sh hashes the source port only with kSchedPort") {
  const auto dests = equal_dests(8);
  auto plain = make("sh", dests);
  SchedConfig c;
  c.flags = kSchedPort;
  auto with_port = make("sh", dests, c);
  std::set<DestIndex> plain_seen;
  std::set<DestIndex> port_seen;
  for (uint16_t port = 1000; port < 1100; ++port) {
    plain_seen.insert(plain->pick(client_v4(0x0b000001, port)));
    port_seen.insert(with_port->pick(client_v4(0x0b000001, port)));
  }
  CHECK(plain_seen.size() == 1);
  CHECK(port_seen.size() == 8);
}

TEST_CASE("sh gives an overloaded dest's clients none, or with kSchedFallback other dests") {
  auto dests = equal_dests(10);
  const auto clients = random_clients(20000, 2);
  auto plain = make("sh", dests);
  SchedConfig c;
  c.flags = kSchedFallback;
  auto fallback = make("sh", dests, c);
  const auto before = placements(*fallback, dests, clients);
  dests[3].flags |= kDestOverload;
  const auto after = placements(*fallback, dests, clients);
  std::set<DestId> got_moved;
  for (size_t k = 0; k < clients.size(); ++k) {
    if (before[k] == dests[3].id) {
      CHECK(plain->pick(clients[k]) == kNoDest);
      CHECK(after[k] != dests[3].id);
      got_moved.insert(after[k]);
    } else {
      CHECK(after[k] == before[k]);
    }
  }
  CHECK(got_moved.size() == 9);  // spread over every other dest, not dumped on a neighbour
}

TEST_CASE("sh builds the same table whatever order the dests come in") {
  auto dests = dests_with_weights({1, 2, 3, 1, 1, 5, 2});
  const auto clients = random_clients(20000, 3);
  auto a = make("sh", dests);
  const auto pa = placements(*a, dests, clients);
  shuffle(dests, 99);
  auto b = make("sh", dests);
  CHECK(placements(*b, dests, clients) == pa);
}

TEST_CASE("sh with more dests than the kernel's 256 buckets gives every dest clients") {
  const auto dests = equal_dests(1000);
  auto s = make("sh", dests);
  const auto counts = counts_per_dest(*s, dests.size(), random_clients(200000, 4));
  for (size_t i = 0; i < dests.size(); ++i) CHECK(counts[i] > 80);  // 200 expected
}

TEST_CASE("sh gives a dest of weight 0 no clients") {
  auto dests = dests_with_weights({1, 0, 1});
  auto s = make("sh", dests);
  const auto counts = counts_per_dest(*s, dests.size(), random_clients(10000, 5));
  CHECK(counts[1] == 0);
  CHECK(counts[3] == 0);
}

TEST_CASE("dh keeps a destination address on one dest, whatever the weights") {
  auto dests = dests_with_weights({1, 9, 1, 1});
  auto s = make("dh", dests);
  std::vector<size_t> counts(dests.size());
  for (uint32_t a = 0; a < 40000; ++a) {
    SchedInput in = client_v4(a * 7919);
    in.daddr = IpAddr::v4(0xc6330000u + a);
    const DestIndex d = s->pick(in);
    REQUIRE(d != kNoDest);
    ++counts[d];
    in.saddr = IpAddr::v4(5, 6, 7, 8);  // another client, the same destination
    CHECK(s->pick(in) == d);
  }
  for (size_t c : counts) CHECK(c == Approx(10000).epsilon(0.05));
}

TEST_CASE("dh answers none for an address whose dest is quiesced or overloaded, with no fallback") {
  auto dests = equal_dests(4);
  auto s = make("dh", dests);
  SchedInput in = client_v4(1);
  DestIndex home = kNoDest;
  for (uint32_t a = 0; home != 2; ++a) {
    in.daddr = IpAddr::v4(0xc6330000u + a);
    home = s->pick(in);
  }
  dests[2].flags |= kDestOverload;
  CHECK(s->pick(in) == kNoDest);
  dests[2].flags = 0;
  dests[2].weight = 0;
  s->rebuild(dests);
  CHECK(s->pick(in) == kNoDest);
}

TEST_CASE("dh builds the same table whatever order the dests come in") {
  auto dests = equal_dests(37);
  std::vector<SchedInput> inputs;
  for (uint32_t a = 0; a < 5000; ++a) {
    inputs.push_back(client_v4(1));
    inputs.back().daddr = IpAddr::v4(0xc6330000u + a * 13);
  }
  auto a = make("dh", dests);
  const auto pa = placements(*a, dests, inputs);
  shuffle(dests, 5);
  auto b = make("dh", dests);
  CHECK(placements(*b, dests, inputs) == pa);
}
