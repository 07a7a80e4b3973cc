// The registry, and what every scheduler promises whatever its algorithm.

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;
using fulcrum::ipvs::kSchedFallback;
using fulcrum::ipvs::make_scheduler;
using fulcrum::ipvs::scheduler_names;

namespace {

std::vector<std::string> all_names() {
  std::vector<std::string> out;
  for (auto n : scheduler_names()) out.emplace_back(n);
  return out;
}

}  // namespace

TEST_CASE("the registry knows the kernel's schedulers and conhash, each once") {
  const std::vector<std::string> names = all_names();
  const std::set<std::string> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  CHECK(unique == std::set<std::string>{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo",
                                        "ovf", "mh", "twos", "conhash"});
  for (const auto& n : names) {
    CHECK(fulcrum::ipvs::has_scheduler(n));
    CHECK(make_scheduler(n)->name() == n);
  }
  CHECK_FALSE(fulcrum::ipvs::has_scheduler("RR"));
}

TEST_CASE("an unknown scheduler is refused with its name and the known ones") {
  try {
    make_scheduler("wrrr");
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("'wrrr'") != std::string::npos);
    for (const auto& n : all_names()) CHECK(what.find(n) != std::string::npos);
  }
}

TEST_CASE("bad settings are refused when the scheduler is made") {
  SchedConfig c;
  c.mh_table_size = 65536;  // not a prime
  CHECK_THROWS_AS(make_scheduler("mh", c), std::invalid_argument);
  c = {};
  c.conhash_replicas = 0;
  CHECK_THROWS_AS(make_scheduler("conhash", c), std::invalid_argument);
  c = {};
  c.lblc_entries = 0;
  CHECK_THROWS_AS(make_scheduler("lblc", c), std::invalid_argument);
  CHECK_THROWS_AS(make_scheduler("lblcr", c), std::invalid_argument);
}

TEST_CASE("every scheduler picks none from an empty set, and before its first rebuild") {
  for (const auto& n : all_names()) {
    INFO(n);
    auto s = make_scheduler(n);
    CHECK(s->pick(client_v4(1)) == kNoDest);
    s->rebuild({});
    CHECK(s->pick(client_v4(1)) == kNoDest);
  }
}

TEST_CASE("every scheduler picks none when every dest has weight 0") {
  const auto dests = dests_with_weights({0, 0, 0});
  for (const auto& n : all_names()) {
    INFO(n);
    auto s = make(n.c_str(), dests);
    for (uint32_t c = 0; c < 50; ++c) CHECK(s->pick(client_v4(c)) == kNoDest);
  }
}

TEST_CASE("every scheduler picks none when every dest is overloaded, even with fallback") {
  auto dests = equal_dests(5);
  for (auto& d : dests) d.flags |= kDestOverload;
  SchedConfig c;
  c.flags = kSchedFallback;
  for (const auto& n : all_names()) {
    INFO(n);
    auto s = make(n.c_str(), dests, c);
    for (uint32_t k = 0; k < 50; ++k) CHECK(s->pick(client_v4(k)) == kNoDest);
  }
}

TEST_CASE("every scheduler refuses a bad set and keeps the one it had") {
  const auto good = equal_dests(3);
  auto too_heavy = good;
  too_heavy[1].weight = fulcrum::ipvs::kMaxWeight + 1;
  auto twice = good;
  twice[2].id = twice[0].id;
  for (const auto& n : all_names()) {
    INFO(n);
    auto s = make(n.c_str(), good);
    CHECK_THROWS_AS(s->rebuild(too_heavy), std::invalid_argument);
    CHECK_THROWS_AS(s->rebuild(twice), std::invalid_argument);
    const DestIndex d = s->pick(client_v4(7));
    CHECK(d < good.size());
  }
}

TEST_CASE("every scheduler returns only dests that may take a connection, and finds one when it must") {
  // lblc and lblcr may return a remembered dest whose threshold flag is set, as the kernel's do; the hashing
  // schedulers without fallback may return none while another dest is free. Everything else must find one.
  SplitMix rng{7};
  for (const auto& n : all_names()) {
    INFO(n);
    const bool locality = n == "lblc" || n == "lblcr";
    const bool hashing = n == "sh" || n == "dh" || n == "mh" || n == "conhash";
    const bool overflows = n == "ovf";  // none once every dest has more active connections than its weight
    std::vector<Dest> dests;
    for (uint32_t i = 0; i < 9; ++i) dests.push_back(dest_v4(i, rng.below(4)));
    dests[0].weight = 3;
    auto s = make(n.c_str(), dests);
    for (int step = 0; step < 2000; ++step) {
      Dest& t = dests[rng.below(9)];
      t.flags ^= rng.below(5) == 0 ? kDestOverload : 0;
      SchedInput in = random_client(rng);
      in.daddr = IpAddr::v4(0xc0000200u + rng.below(64));
      in.now_s = static_cast<uint32_t>(step);
      const DestIndex d = s->pick(in);
      const bool any = std::any_of(dests.begin(), dests.end(), [](const Dest& x) { return is_available(x); });
      if (d == kNoDest) {
        if (!hashing && !overflows) CHECK_FALSE(any);
        continue;
      }
      REQUIRE(d < dests.size());
      CHECK(dests[d].weight > 0);
      if (!locality) CHECK_FALSE(dests[d].flags & kDestOverload);
      if (rng.below(2)) ++dests[d].activeconns;
    }
  }
}

TEST_CASE("a clone picks as the original, and bind moves it to a copy of the dests") {
  const auto dests = dests_with_weights({3, 1, 2, 5});
  const auto clients = random_clients(200, 3);
  for (const auto& n : all_names()) {
    INFO(n);
    SchedConfig c;
    c.seed = 9;
    auto original = make(n.c_str(), dests, c);
    auto copy = original->clone();
    CHECK(copy->name() == n);
    for (const auto& in : clients) CHECK(copy->pick(in) == original->pick(in));

    // A worker's own array: same dests, its own counters.
    std::vector<Dest> worker = dests;
    worker[3].flags |= kDestOverload;
    CHECK(copy->bind(worker));
    for (const auto& in : clients) CHECK(copy->pick(in) != 3);
    CHECK_FALSE(copy->bind(std::span<const Dest>(worker).first(2)));
  }
}

TEST_CASE("no scheduler allocates on the hot path") {
  auto dests = dests_with_weights({3, 1, 2, 5, 1, 1, 4});
  const auto clients = random_clients(500, 11);
  SchedConfig c;
  c.flags = kSchedFallback;
  for (const auto& n : all_names()) {
    INFO(n);
    auto s = make(n.c_str(), dests, c);
    std::vector<Dest> worker = dests;
    worker[1].flags |= kDestOverload;  // exercise the fallback walks
    const uint64_t before = alloc_counter::count();
    REQUIRE(s->bind(worker));
    uint32_t now = 0;
    for (auto in : clients) {
      in.now_s = now++;
      const DestIndex d = s->pick(in);
      if (d != kNoDest) ++worker[d].activeconns;
    }
    CHECK(alloc_counter::count() == before);
  }
}

TEST_CASE("the hashing schedulers' placements are pinned across versions") {
  // Balancers behind one ECMP route must agree, including while they run different versions during an
  // upgrade. These strings change only if the hash, its keys or a table's construction change: if one fails,
  // that change moves clients between dests, and it must be made on purpose and said so in the release notes.
  const auto dests = dests_with_weights({1, 2, 3, 1, 2});
  const std::pair<const char*, const char*> expected[] = {
      {"sh", "ACDCCECECBEEEDCEBCCBCCCA"},
      {"dh", "ADDBDEDECAEEEDCEBCCBDCCA"},
      {"mh", "CACCBCBCECECECABBACBBDCE"},
      {"conhash", "ECDDEBEBCCBEDAECBDAEEBBB"},
  };
  for (const auto& [name, placement] : expected) {
    INFO(name);
    auto s = make(name, dests);
    std::string got;
    for (uint32_t c = 0; c < 24; ++c) {
      SchedInput in = client_v4(0xcb007100u + c);  // 203.0.113.0/24
      in.daddr = in.saddr;
      got += static_cast<char>('A' + s->pick(in));
    }
    CHECK(got == placement);
  }
}
