// lblc and lblcr: the destination address keeps its dest (or set of dests).

#include <vector>

#include <catch2/catch.hpp>

#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;

namespace {

SchedInput to_addr(uint32_t daddr, uint32_t now = 0) {
  SchedInput in = client_v4(0x0b000000u + daddr);  // the client changes, the destination decides
  in.daddr = IpAddr::v4(0xc6330000u + daddr);
  in.now_s = now;
  return in;
}

}  // namespace

TEST_CASE("lblc keeps a destination address on the dest wlc first gave it") {
  auto dests = equal_dests(3);
  auto s = make("lblc", dests);
  const DestIndex first = s->pick(to_addr(1));
  CHECK(first == 0);  // all idle: wlc takes the first
  dests[0].activeconns = 1;  // not more than its weight yet
  CHECK(s->pick(to_addr(1)) == 0);
  CHECK(s->pick(to_addr(2)) == 1);  // a new address goes to the least loaded
}

TEST_CASE("lblc moves an address when its dest is overloaded in lblc's sense") {
  auto dests = dests_with_weights({2, 2, 2});
  auto s = make("lblc", dests);
  CHECK(s->pick(to_addr(1)) == 0);
  dests[0].activeconns = 3;  // more than its weight, and B has fewer than half of its own
  dests[1].activeconns = 1;  // not fewer than half of 2: nobody is light yet
  dests[2].activeconns = 1;
  CHECK(s->pick(to_addr(1)) == 0);
  dests[2].activeconns = 0;  // C is light now
  CHECK(s->pick(to_addr(1)) == 2);
  CHECK(s->pick(to_addr(1)) == 2);  // and remembered
}

TEST_CASE("lblc keeps a remembered dest whose threshold flag is set, as the kernel does") {
  auto dests = equal_dests(2);
  auto s = make("lblc", dests);
  CHECK(s->pick(to_addr(1)) == 0);
  dests[0].flags |= kDestOverload;
  CHECK(s->pick(to_addr(1)) == 0);
  CHECK(s->pick(to_addr(2)) == 1);  // but wlc, for a new address, skips it
}

TEST_CASE("lblc reschedules an address whose dest was quiesced or removed") {
  auto dests = equal_dests(3);
  auto s = make("lblc", dests);
  CHECK(s->pick(to_addr(1)) == 0);
  dests[0].activeconns = 1;
  dests[0].weight = 0;
  s->rebuild(dests);
  CHECK(s->pick(to_addr(1)) == 1);
  dests.erase(dests.begin() + 1);  // B goes away: A C
  s->rebuild(dests);
  CHECK(s->pick(to_addr(1)) == 1);  // C, now at index 1
}

TEST_CASE("lblc follows its dests by identity across a rebuild that reorders them") {
  auto dests = equal_dests(4);
  auto s = make("lblc", dests);
  for (uint32_t a = 0; a < 4; ++a) {
    CHECK(s->pick(to_addr(a)) == a);
    dests[a].activeconns = 1;
  }
  std::reverse(dests.begin(), dests.end());
  s->rebuild(dests);
  for (uint32_t a = 0; a < 4; ++a) CHECK(s->pick(to_addr(a)) == 3 - a);
}

TEST_CASE("lblc forgets an address unused for the expiration time") {
  auto dests = equal_dests(2);
  SchedConfig c;
  c.lblc_expiration_s = 100;
  auto s = make("lblc", dests, c);
  CHECK(s->pick(to_addr(1, 1000)) == 0);
  dests[0].activeconns = 1;  // wlc would now pick B
  CHECK(s->pick(to_addr(1, 1099)) == 0);  // used at 1099: lives until 1199
  CHECK(s->pick(to_addr(1, 1198)) == 0);
  CHECK(s->pick(to_addr(1, 1298)) == 1);  // unused for 100 s: forgotten
}

TEST_CASE("lblc's memory is bounded and still serves many addresses") {
  auto dests = equal_dests(4);
  SchedConfig c;
  c.lblc_entries = 64;
  auto s = make("lblc", dests, c);
  for (uint32_t a = 0; a < 10000; ++a) {
    const DestIndex d = s->pick(to_addr(a, a));
    REQUIRE(d != kNoDest);
    ++dests[d].activeconns;
  }
  // The last address is remembered.
  const DestIndex last = s->pick(to_addr(9999, 10000));
  dests[last].activeconns += 10;
  CHECK(s->pick(to_addr(9999, 10001)) == last);
}

TEST_CASE("lblcr keeps a destination's set and grows it when its dest is overloaded") {
  auto dests = dests_with_weights({2, 2, 2});
  auto s = make("lblcr", dests);
  CHECK(s->pick(to_addr(1)) == 0);
  dests[0].activeconns = 3;  // overloaded in lblc's sense: C is light
  dests[1].activeconns = 1;
  CHECK(s->pick(to_addr(1)) == 2);  // C joins the set {A, C}
  dests[2].activeconns = 3;
  dests[0].activeconns = 2;
  // The set's least loaded is A (2/2 against 3/2) and it is not over its weight.
  CHECK(s->pick(to_addr(1)) == 0);
  // The set's least loaded is now C (3/2 against 4/2), but it is over its weight while B is light: B joins.
  dests[0].activeconns = 4;
  dests[1].activeconns = 0;
  CHECK(s->pick(to_addr(1)) == 1);
  CHECK(s->pick(to_addr(1)) == 1);  // the least loaded of {A, C, B}
}

TEST_CASE("lblcr drops the most loaded member after the set stays unchanged for the expiration time") {
  auto dests = dests_with_weights({2, 2});
  SchedConfig c;
  c.lblc_expiration_s = 50;
  auto s = make("lblcr", dests, c);
  CHECK(s->pick(to_addr(1, 100)) == 0);
  dests[0].activeconns = 3;
  CHECK(s->pick(to_addr(1, 110)) == 1);  // B joins at 110: {A, B}
  dests[1].activeconns = 3;
  dests[0].activeconns = 1;
  CHECK(s->pick(to_addr(1, 120)) == 0);
  dests[0].activeconns = 2;  // A 2/2, B 3/2: B is the most loaded
  CHECK(s->pick(to_addr(1, 161)) == 0);  // past 110 + 50: B leaves the set
  dests[0].activeconns = 5;
  dests[1].activeconns = 0;
  // A is alone in the set and overloaded while B is light: B joins again.
  CHECK(s->pick(to_addr(1, 162)) == 1);
}
