// lc, wlc, sed, nq, fo, ovf and twos: the schedulers that read the connection counters.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;

namespace {

void set_conns(std::vector<Dest>& dests, std::vector<uint32_t> active, std::vector<uint32_t> inactive = {}) {
  for (size_t i = 0; i < dests.size(); ++i) {
    dests[i].activeconns = active[i];
    dests[i].inactconns = i < inactive.size() ? inactive[i] : 0;
  }
}

}  // namespace

TEST_CASE("lc picks the least overhead, an active connection weighing 256 inactive ones") {
  auto dests = equal_dests(2);
  auto s = make("lc", dests);
  set_conns(dests, {1, 0}, {0, 255});  // 256 against 255
  CHECK(s->pick(client_v4(1)) == 1);
  set_conns(dests, {1, 0}, {0, 256});  // a tie goes to the first
  CHECK(s->pick(client_v4(1)) == 0);
  set_conns(dests, {1, 0}, {0, 257});
  CHECK(s->pick(client_v4(1)) == 0);
}

TEST_CASE("lc ignores weights other than 0 and skips overloaded dests") {
  auto dests = dests_with_weights({100, 1, 0});
  auto s = make("lc", dests);
  set_conns(dests, {5, 4, 0});
  CHECK(s->pick(client_v4(1)) == 1);  // not the idle dest of weight 0, not the heavy weight
  dests[1].flags |= kDestOverload;
  CHECK(s->pick(client_v4(1)) == 0);
  dests[0].flags |= kDestOverload;
  CHECK(s->pick(client_v4(1)) == kNoDest);
}

TEST_CASE("lc balances connections as they are opened") {
  auto dests = equal_dests(4);
  auto s = make("lc", dests);
  for (int i = 0; i < 400; ++i) ++dests[s->pick(client_v4(1))].activeconns;
  for (const auto& d : dests) CHECK(d.activeconns == 100);
}

TEST_CASE("wlc picks the least overhead per weight, ties to the first") {
  auto dests = dests_with_weights({1, 2});
  auto s = make("wlc", dests);
  set_conns(dests, {1, 1}, {0, 255});  // 256/1 against 511/2
  CHECK(s->pick(client_v4(1)) == 1);
  set_conns(dests, {1, 2});  // 256/1 against 512/2: a tie
  CHECK(s->pick(client_v4(1)) == 0);
  dests[0].weight = 0;  // quiesced, even though it is lighter
  set_conns(dests, {0, 9});
  s->rebuild(dests);
  CHECK(s->pick(client_v4(1)) == 1);
}

TEST_CASE("wlc spreads connections in proportion to the weights") {
  auto dests = dests_with_weights({1, 2, 3});
  auto s = make("wlc", dests);
  for (int i = 0; i < 600; ++i) ++dests[s->pick(client_v4(1))].activeconns;
  CHECK(dests[0].activeconns == 100);
  CHECK(dests[1].activeconns == 200);
  CHECK(dests[2].activeconns == 300);
}

TEST_CASE("wlc skips overloaded dests, the first one included, and picks none when all are") {
  auto dests = dests_with_weights({1, 1, 1});
  set_conns(dests, {0, 5, 3});
  auto s = make("wlc", dests);
  dests[0].flags |= kDestOverload;
  CHECK(s->pick(client_v4(1)) == 2);
  dests[1].flags |= kDestOverload;
  dests[2].flags |= kDestOverload;
  CHECK(s->pick(client_v4(1)) == kNoDest);
}

TEST_CASE("sed counts the new connection and only active ones") {
  auto dests = dests_with_weights({1, 3});
  auto s = make("sed", dests);
  set_conns(dests, {0, 1}, {1000, 0});  // (0+1)/1 against (1+1)/3
  CHECK(s->pick(client_v4(1)) == 1);
  set_conns(dests, {0, 2});  // 1/1 against 3/3: a tie
  CHECK(s->pick(client_v4(1)) == 0);
  // Inactive connections: wlc counts them, sed does not.
  auto pair = dests_with_weights({1, 1});
  set_conns(pair, {0, 1}, {1000, 0});
  CHECK(make("sed", pair)->pick(client_v4(1)) == 0);
  CHECK(make("wlc", pair)->pick(client_v4(1)) == 1);
}

TEST_CASE("nq sends to an idle dest at once, otherwise as sed") {
  auto dests = dests_with_weights({1, 100, 1});
  auto s = make("nq", dests);
  set_conns(dests, {3, 1, 0});
  CHECK(s->pick(client_v4(1)) == 2);  // idle beats the better ratio of B
  set_conns(dests, {3, 1, 1});
  CHECK(s->pick(client_v4(1)) == 1);  // 2/100 is the least
  dests[1].weight = 0;
  s->rebuild(dests);
  set_conns(dests, {3, 0, 1});  // B is idle but quiesced
  CHECK(s->pick(client_v4(1)) == 2);
  dests[0].flags |= kDestOverload;
  dests[2].flags |= kDestOverload;
  CHECK(s->pick(client_v4(1)) == kNoDest);
}

TEST_CASE("fo sends everything to the heaviest available dest") {
  auto dests = dests_with_weights({10, 20, 20, 5});
  auto s = make("fo", dests);
  CHECK(sequence(*s, 3) == "BBB");  // a tie goes to the first
  dests[1].flags |= kDestOverload;
  CHECK(sequence(*s, 2) == "CC");
  dests[2].weight = 0;
  s->rebuild(dests);
  CHECK(sequence(*s, 2) == "AA");
  for (auto& d : dests) d.flags |= kDestOverload;
  CHECK(sequence(*s, 1) == "-");
}

TEST_CASE("ovf fills the heaviest dest up to its weight, then overflows to the next") {
  auto dests = dests_with_weights({2, 3, 1});
  auto s = make("ovf", dests);
  std::string seq;
  for (int i = 0; i < 8; ++i) {
    const DestIndex d = s->pick(client_v4(1));
    seq += d == kNoDest ? '-' : static_cast<char>('A' + d);
    if (d != kNoDest) ++dests[d].activeconns;
  }
  // B takes 4 (active 0..3 do not exceed 3), then A 3, then C 2, then nothing: every dest is past its weight.
  CHECK(seq == "BBBBAAAC");
  CHECK(s->pick(client_v4(1)) == 2);
  ++dests[2].activeconns;
  CHECK(s->pick(client_v4(1)) == kNoDest);
}

TEST_CASE("twos draws two dests by weight and keeps the less loaded") {
  SECTION("with no connections the first draw wins, so picks follow the weights") {
    auto dests = dests_with_weights({1, 2, 3});
    auto s = make("twos", dests);
    std::vector<int> counts(3);
    for (int i = 0; i < 70000; ++i) ++counts[s->pick(client_v4(1))];
    // A draw in [0, 6] walks the list, so A gets 2 chances in 7, B 2, C 3.
    CHECK(counts[0] == Approx(20000).epsilon(0.05));
    CHECK(counts[1] == Approx(20000).epsilon(0.05));
    CHECK(counts[2] == Approx(30000).epsilon(0.05));
  }
  SECTION("as connections open, the load follows the weights") {
    auto dests = dests_with_weights({1, 2, 3, 4});
    auto s = make("twos", dests);
    for (int i = 0; i < 10000; ++i) ++dests[s->pick(client_v4(1))].activeconns;
    for (size_t i = 0; i < dests.size(); ++i)
      CHECK(static_cast<double>(dests[i].activeconns) == Approx(1000.0 * (i + 1)).epsilon(0.05));
  }
  SECTION("it skips weight 0 and overloaded dests") {
    auto dests = dests_with_weights({0, 5, 5});
    dests[1].flags |= kDestOverload;
    auto s = make("twos", dests);
    CHECK(sequence(*s, 20) == std::string(20, 'C'));
    dests[2].flags |= kDestOverload;
    CHECK(s->pick(client_v4(1)) == kNoDest);
  }
  SECTION("the seed decides the draws") {
    auto dests = equal_dests(8);
    SchedConfig a;
    a.seed = 1;
    SchedConfig b;
    b.seed = 2;
    auto s1 = make("twos", dests, a);
    auto s2 = make("twos", dests, a);
    auto s3 = make("twos", dests, b);
    const std::string seq1 = sequence(*s1, 64);
    CHECK(seq1 == sequence(*s2, 64));
    CHECK(seq1 != sequence(*s3, 64));
  }
}
