#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sched_test_util.hpp"

using namespace sched_test;
using fulcrum::ipvs::kDestOverload;

namespace {

std::string wrr_sequence(std::vector<uint32_t> weights, int n) {
  const auto dests = dests_with_weights(std::move(weights));
  return sequence(*make("wrr", dests), n);
}

}  // namespace

TEST_CASE("rr takes the dests in turn") {
  auto dests = equal_dests(3);
  auto s = make("rr", dests);
  CHECK(sequence(*s, 7) == "ABCABCA");
}

TEST_CASE("rr skips dests of weight 0 and overloaded dests, and picks none when nothing is left") {
  auto dests = dests_with_weights({1, 0, 1, 1});
  auto s = make("rr", dests);
  CHECK(sequence(*s, 6) == "ACDACD");
  dests[2].flags |= kDestOverload;  // live state: no rebuild needed
  CHECK(sequence(*s, 4) == "ADAD");
  dests[0].flags |= kDestOverload;
  dests[3].weight = 0;
  s->rebuild(dests);
  CHECK(sequence(*s, 2) == "--");
  dests[2].flags = 0;
  CHECK(sequence(*s, 2) == "CC");
}

TEST_CASE("rr with no dests picks none") {
  const std::vector<Dest> none;
  auto s = make("rr", none);
  CHECK(s->pick(client_v4(1)) == kNoDest);
}

TEST_CASE("rr keeps its place across a rebuild, as the kernel keeps its cursor") {
  auto dests = equal_dests(4);  // A B C D
  auto s = make("rr", dests);
  CHECK(sequence(*s, 2) == "AB");
  SECTION("a dest added in front does not restart the rotation") {
    std::vector<fulcrum::ipvs::Dest> grown = {dest_v4(9)};
    grown.insert(grown.end(), dests.begin(), dests.end());  // E A B C D: B is now at index 2
    s->rebuild(grown);
    CHECK(sequence(*s, 5) == "DEABC");  // by index: C D, then round again: E A B
  }
  SECTION("removing the last dest picked continues with its successor") {
    dests.erase(dests.begin() + 1);  // A C D
    s->rebuild(dests);
    CHECK(sequence(*s, 3) == "BCA");  // by index: C D A
  }
  SECTION("removing the last dest and its predecessor continues after the nearest survivor") {
    dests.erase(dests.begin(), dests.begin() + 2);  // C D
    s->rebuild(dests);
    CHECK(sequence(*s, 3) == "ABA");  // by index: C D C
  }
}

TEST_CASE("wrr gives the kernel's order for weights 4, 3, 2") {
  CHECK(wrr_sequence({4, 3, 2}, 18) == "AABABCABCAABABCABC");
}

TEST_CASE("wrr steps by the gcd of the weights") {
  CHECK(wrr_sequence({4, 2}, 6) == "AABAAB");
  CHECK(wrr_sequence({6, 4, 2}, 12) == "AABABCAABABC");
  CHECK(wrr_sequence({5, 5}, 4) == "ABAB");
  CHECK(wrr_sequence({1, 2, 3}, 12) == "CBCABCCBCABC");
}

TEST_CASE("wrr splits 1:2:3 exactly over 300 picks") {
  const std::string seq = wrr_sequence({1, 2, 3}, 300);
  CHECK(std::count(seq.begin(), seq.end(), 'A') == 50);
  CHECK(std::count(seq.begin(), seq.end(), 'B') == 100);
  CHECK(std::count(seq.begin(), seq.end(), 'C') == 150);
}

TEST_CASE("wrr skips weight 0 and overloaded dests, and picks none when nothing is left") {
  auto dests = dests_with_weights({3, 0, 1});
  auto s = make("wrr", dests);
  CHECK(sequence(*s, 8) == "AAACAAAC");
  dests[0].flags |= kDestOverload;
  CHECK(sequence(*s, 3) == "CCC");
  dests[2].flags |= kDestOverload;
  CHECK(sequence(*s, 2) == "--");
  dests[0].flags = 0;
  CHECK(sequence(*s, 1) == "A");
  CHECK(wrr_sequence({0, 0}, 1) == "-");
  CHECK(wrr_sequence({}, 1) == "-");
}

namespace {

// The kernel's wrr walk, written out literally (a pass per level of cw), to compare the scheduler with.
struct KernelWrr {
  std::vector<fulcrum::ipvs::Dest>* dests;
  long cl = -1;
  long cw = 0;
  long mw = 0;
  long di = 1;

  void changed() {
    long g = 0;
    long maxw = 0;
    for (const auto& d : *dests) {
      if (d.weight > 0) g = std::gcd(g, static_cast<long>(d.weight));
      maxw = std::max(maxw, static_cast<long>(d.weight));
    }
    di = g > 0 ? g : 1;
    mw = maxw - (di - 1);
    cl = -1;
    if (cw > mw || cw == 0)
      cw = mw;
    else if (di > 1)
      cw = (cw / di) * di + 1;
  }

  // Only called when some dest is available, so the walk always ends.
  long pick() {
    const long n = static_cast<long>(dests->size());
    long i = cl;
    while (true) {
      if (i + 1 >= n) {
        if (i != -1) {
          cw -= di;
          if (cw <= 0) cw = mw;
        }
        i = 0;
      } else {
        ++i;
      }
      const auto& d = (*dests)[i];
      if (!(d.flags & kDestOverload) && static_cast<long>(d.weight) >= cw) {
        cl = i;
        return i;
      }
    }
  }
};

}  // namespace

// Only picks with some dest available are compared: after a pick that finds none, the kernel leaves its
// cursor where its walk stopped, and this scheduler leaves it where it was.
TEST_CASE("wrr picks exactly what the kernel's walk picks, through overloads and rebuilds") {
  SplitMix rng{42};
  for (int round = 0; round < 40; ++round) {
    const uint32_t n = 1 + rng.below(12);
    std::vector<fulcrum::ipvs::Dest> dests;
    for (uint32_t i = 0; i < n; ++i) {
      // Mostly small weights with common factors, sometimes a heavy one, sometimes 0.
      const uint32_t w = rng.below(8) == 0 ? 0 : (rng.below(6) == 0 ? 1 + rng.below(500) : 2 * (1 + rng.below(4)));
      dests.push_back(dest_v4(i, w));
    }
    std::vector<fulcrum::ipvs::Dest> model_dests = dests;
    KernelWrr model{&model_dests};
    model.changed();
    auto s = make("wrr", dests);
    for (int step = 0; step < 400; ++step) {
      if (rng.below(10) == 0) {  // toggle an overload
        const uint32_t k = rng.below(n);
        dests[k].flags ^= kDestOverload;
        model_dests[k].flags = dests[k].flags;
      }
      if (rng.below(60) == 0) {  // change a weight
        const uint32_t k = rng.below(n);
        dests[k].weight = rng.below(10);
        model_dests[k].weight = dests[k].weight;
        s->rebuild(dests);
        model.changed();
      }
      const bool any = std::any_of(dests.begin(), dests.end(), [](const auto& d) { return is_available(d); });
      const DestIndex got = s->pick(client_v4(1));
      if (!any) {
        REQUIRE(got == kNoDest);
        continue;
      }
      INFO("round " << round << " step " << step);
      REQUIRE(got == static_cast<DestIndex>(model.pick()));
    }
  }
}

TEST_CASE("wrr with a heavy overloaded dest and a light one does not walk every level") {
  auto dests = dests_with_weights({65535, 1});
  dests[0].flags |= kDestOverload;
  auto s = make("wrr", dests);
  CHECK(sequence(*s, 3) == "BBB");
}

TEST_CASE("wrr restarts at the head after a rebuild, keeping a current weight that still fits") {
  auto dests = dests_with_weights({4, 3, 2});
  auto s = make("wrr", dests);
  CHECK(sequence(*s, 4) == "AABA");  // cw is 2 now
  s->rebuild(dests);
  CHECK(sequence(*s, 5) == "ABCAB");  // from the head at cw 2: A B C, then cw 1: A B
}
