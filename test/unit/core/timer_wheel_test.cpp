#include "fulcrum/core/timer_wheel.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using fulcrum::core::Timer;
using fulcrum::core::TimerWheel;

namespace {

constexpr uint32_t kMax = TimerWheel::kMaxDelay;

// Fast at -O0, unlike <random>, which matters for the million-timer cases.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
};

struct Fire {
  uint32_t id;
  uint32_t tick;  // now() inside the callback
  bool operator==(const Fire&) const = default;
};

// A set of timers whose callback logs (id, now()); the id is recovered from the timer's address, the way an
// owner embedding a Timer would do it.
struct Recorder {
  explicit Recorder(TimerWheel& w, size_t n) : wheel(w), timers(n) { kind = wheel.register_kind(&on_fire, this); }

  static void on_fire(Timer* timer, void* ctx) {
    auto* self = static_cast<Recorder*>(ctx);
    self->fires.push_back({self->id_of(timer), self->wheel.now()});
  }
  uint32_t id_of(const Timer* timer) const { return static_cast<uint32_t>(timer - timers.data()); }
  void arm(uint32_t id, uint32_t delay) { wheel.arm(timers[id], kind, delay); }
  std::vector<uint32_t> fired_ids() const {
    std::vector<uint32_t> ids;
    for (const Fire& f : fires) ids.push_back(f.id);
    return ids;
  }

  TimerWheel& wheel;
  std::vector<Timer> timers;
  std::vector<Fire> fires;
  uint8_t kind = 0;
};

const std::vector<uint32_t> kLevelDelays = {
    1,       2,       255,       256,       257,       511,       65535,      65536,      65537,
    65791,   0xfffff, 0xffffff,  0x1000000, 0x1000005, 0x1234567, 0x10000000, 0x7ffffffe, kMax,
};

}  // namespace

TEST_CASE("a timer fires at exactly its expiry tick, never earlier", "[timer_wheel]") {
  for (uint32_t start : {0u, 1000u, 0x12345u, 0x00ffffffu, 0x7fffffffu, 0xffffff00u, 0xffffffffu}) {
    for (uint32_t delay : kLevelDelays) {
      CAPTURE(start, delay);
      TimerWheel wheel(start);
      Recorder rec(wheel, 1);
      rec.arm(0, delay);
      const uint32_t expiry = start + delay;
      CHECK(rec.timers[0].expires == expiry);
      // Stop once mid-way and once just short, so that a premature fire at a cascade shows up.
      wheel.advance(start + delay / 2);
      wheel.advance(expiry - 1);
      CHECK(rec.fires.empty());
      CHECK(wheel.now() == expiry - 1);
      CHECK(wheel.size() == 1);
      CHECK(wheel.advance(expiry) == 1);
      CHECK(rec.fires == std::vector<Fire>{{0, expiry}});
      CHECK(wheel.size() == 0);
      CHECK_FALSE(rec.timers[0].armed());
    }
  }
}

TEST_CASE("one advance far past the expiry still fires at the expiry tick", "[timer_wheel]") {
  for (uint32_t delay : kLevelDelays) {
    CAPTURE(delay);
    TimerWheel wheel(0xabcdef);
    Recorder rec(wheel, 1);
    rec.arm(0, delay);
    wheel.advance(0xabcdef + kMax);
    CHECK(rec.fires == std::vector<Fire>{{0, 0xabcdef + delay}});
    CHECK(wheel.now() == 0xabcdef + kMax);
  }
}

TEST_CASE("timers on all four levels fire in expiry order", "[timer_wheel]") {
  for (uint32_t start : {0u, 0x12345u, 0xffffff00u}) {
    CAPTURE(start);
    TimerWheel wheel(start);
    Recorder rec(wheel, kLevelDelays.size());
    // Armed in reverse so that arming order cannot pass for expiry order.
    for (size_t i = kLevelDelays.size(); i-- > 0;) rec.arm(static_cast<uint32_t>(i), kLevelDelays[i]);
    CHECK(wheel.size() == kLevelDelays.size());
    wheel.advance(start + kMax);
    REQUIRE(rec.fires.size() == kLevelDelays.size());
    for (size_t i = 0; i < kLevelDelays.size(); ++i) {
      CHECK(rec.fires[i].id == i);
      CHECK(rec.fires[i].tick == start + kLevelDelays[i]);
    }
    CHECK(wheel.size() == 0);
  }
}

TEST_CASE("timers due at the same tick fire in the order they were last armed", "[timer_wheel]") {
  // All five expire at 0x10110 but are armed at different times, so they start on different levels (one
  // on level 2 meets later ones on level 1 and 0 through cascading).
  TimerWheel wheel(0);
  Recorder rec(wheel, 5);
  rec.arm(0, 0x10110);  // A
  rec.arm(4, 0x10110);  // E, re-armed last below
  wheel.advance(0xff00);
  rec.arm(1, 0x10110 - 0xff00);  // B
  wheel.advance(0x10050);
  rec.arm(2, 0x10110 - 0x10050);  // C
  wheel.advance(0x10100);
  rec.arm(3, 0x10);  // D
  rec.arm(4, 0x10);
  CHECK(rec.fires.empty());
  wheel.advance(0x20000);
  CHECK(rec.fired_ids() == std::vector<uint32_t>{0, 1, 2, 3, 4});
  for (const Fire& f : rec.fires) CHECK(f.tick == 0x10110);
}

TEST_CASE("delay 0 fires at the next advance, even without time passing", "[timer_wheel]") {
  TimerWheel wheel(500);
  Recorder rec(wheel, 3);
  rec.arm(0, 1);
  wheel.advance(501);
  rec.arm(1, 0);
  rec.arm(2, 0);
  CHECK(rec.timers[1].expires == 501);
  CHECK(wheel.size() == 2);
  CHECK(wheel.advance(501) == 2);
  CHECK(rec.fires == std::vector<Fire>{{0, 501}, {1, 501}, {2, 501}});
  CHECK(wheel.now() == 501);
  CHECK(wheel.size() == 0);
}

TEST_CASE("delays beyond kMaxDelay are clamped", "[timer_wheel]") {
  TimerWheel wheel(7);
  Recorder rec(wheel, 2);
  rec.arm(0, UINT32_MAX);
  rec.arm(1, kMax + 1);
  CHECK(rec.timers[0].expires == 7 + kMax);
  wheel.advance(7 + kMax - 1);
  CHECK(rec.fires.empty());
  wheel.advance(7 + kMax);
  CHECK(rec.fires == std::vector<Fire>{{0, 7 + kMax}, {1, 7 + kMax}});
}

TEST_CASE("cancel", "[timer_wheel]") {
  TimerWheel wheel(0);
  Recorder rec(wheel, 4);

  SECTION("of an unarmed timer is a no-op") {
    wheel.cancel(rec.timers[0]);
    CHECK(wheel.size() == 0);
    rec.arm(1, 5);
    wheel.cancel(rec.timers[0]);
    CHECK(wheel.size() == 1);
  }
  SECTION("of armed timers on any level, twice") {
    rec.arm(0, 3);
    rec.arm(1, 300);
    rec.arm(2, 70000);
    rec.arm(3, 0x2000000);
    CHECK(rec.timers[2].armed());
    wheel.cancel(rec.timers[2]);
    wheel.cancel(rec.timers[2]);
    wheel.cancel(rec.timers[0]);
    CHECK_FALSE(rec.timers[2].armed());
    CHECK(wheel.size() == 2);
    wheel.advance(kMax);
    CHECK(rec.fired_ids() == std::vector<uint32_t>{1, 3});
  }
  SECTION("of a zero-delay timer") {
    rec.arm(0, 0);
    wheel.cancel(rec.timers[0]);
    CHECK(wheel.advance(0) == 0);
    CHECK(wheel.size() == 0);
  }
  SECTION("of every timer in a slot, then the slot is reused") {
    for (uint32_t id = 0; id < 4; ++id) rec.arm(id, 1000);
    for (uint32_t id = 0; id < 4; ++id) wheel.cancel(rec.timers[id]);
    wheel.advance(999);
    rec.arm(2, 1);
    wheel.advance(5000);
    CHECK(rec.fires == std::vector<Fire>{{2, 1000}});
  }
}

TEST_CASE("re-arming an armed timer moves it", "[timer_wheel]") {
  TimerWheel wheel(0);
  Recorder rec(wheel, 2);
  rec.arm(0, 10);
  rec.arm(0, 100000);  // later, onto another level
  rec.arm(1, 50);
  rec.arm(1, 5);  // earlier
  CHECK(wheel.size() == 2);
  wheel.advance(99999);
  CHECK(rec.fires == std::vector<Fire>{{1, 5}});
  wheel.advance(200000);
  CHECK(rec.fires == std::vector<Fire>{{1, 5}, {0, 100000}});
  CHECK(wheel.size() == 0);
}

namespace {

struct Periodic {
  TimerWheel* wheel = nullptr;
  Timer timer;
  uint8_t kind = 0;
  uint32_t period = 0;
  std::vector<uint32_t> ticks;
  size_t limit = 0;

  static void on_fire(Timer* t, void* ctx) {
    auto* self = static_cast<Periodic*>(ctx);
    CHECK_FALSE(t->armed());
    self->ticks.push_back(self->wheel->now());
    if (self->ticks.size() < self->limit) self->wheel->arm(*t, self->kind, self->period);
  }
};

}  // namespace

TEST_CASE("a callback may re-arm its own timer", "[timer_wheel]") {
  TimerWheel wheel(0xfffffff0);  // and cross the wrap while at it
  Periodic p;
  p.wheel = &wheel;
  p.kind = wheel.register_kind(&Periodic::on_fire, &p);

  SECTION("periodically, many times in one advance") {
    p.period = 7;
    p.limit = 100;
    wheel.arm(p.timer, p.kind, p.period);
    CHECK(wheel.advance(0xfffffff0 + 7 * 200) == 100);
    REQUIRE(p.ticks.size() == 100);
    for (uint32_t i = 0; i < 100; ++i) CHECK(p.ticks[i] == 0xfffffff0 + 7 * (i + 1));
    CHECK(wheel.size() == 0);
  }
  SECTION("with delay 0, once per advance") {
    p.period = 0;
    p.limit = 1000;
    wheel.arm(p.timer, p.kind, 0);
    for (uint32_t i = 0; i < 5; ++i) CHECK(wheel.advance(0xfffffff0 + i * 300) == 1);
    CHECK(p.ticks == std::vector<uint32_t>{0xfffffff0, 0xfffffff0, 0xfffffff0 + 300, 0xfffffff0 + 600,
                                           0xfffffff0 + 900});
    CHECK(wheel.size() == 1);
  }
}

namespace {

// Each callback runs a scripted action on other timers of the same recorder.
struct Scripted {
  explicit Scripted(TimerWheel& w) : rec(w, 8) { kind = w.register_kind(&on_fire, this); }
  enum class Op { none, cancel, arm };
  struct Action {
    Op op = Op::none;
    uint32_t target = 0;
    uint32_t delay = 0;
  };
  static void on_fire(Timer* timer, void* ctx) {
    auto* self = static_cast<Scripted*>(ctx);
    const uint32_t id = static_cast<uint32_t>(timer - self->rec.timers.data());
    self->rec.fires.push_back({id, self->rec.wheel.now()});
    for (const Action& a : self->actions[id]) {
      if (a.op == Op::cancel) self->rec.wheel.cancel(self->rec.timers[a.target]);
      if (a.op == Op::arm) self->rec.wheel.arm(self->rec.timers[a.target], self->kind, a.delay);
    }
  }
  void arm(uint32_t id, uint32_t delay) { rec.wheel.arm(rec.timers[id], kind, delay); }

  Recorder rec;
  uint8_t kind = 0;
  std::vector<Action> actions[8];
};

}  // namespace

TEST_CASE("callbacks may arm and cancel other timers due in the same advance", "[timer_wheel]") {
  TimerWheel wheel(0);
  Scripted s(wheel);
  using Op = Scripted::Op;

  SECTION("cancelling timers due at the same tick and later in the same advance") {
    s.arm(0, 10);
    s.arm(1, 10);
    s.arm(2, 20);
    s.arm(3, 10);
    s.actions[0] = {{Op::cancel, 1, 0}, {Op::cancel, 2, 0}};
    CHECK(wheel.advance(100) == 2);
    CHECK(s.rec.fires == std::vector<Fire>{{0, 10}, {3, 10}});
    CHECK(wheel.size() == 0);
  }
  SECTION("re-arming a timer that is already due") {
    s.arm(0, 10);
    s.arm(1, 10);
    s.arm(2, 10);
    s.actions[0] = {{Op::arm, 1, 3}};
    wheel.advance(100);
    CHECK(s.rec.fires == std::vector<Fire>{{0, 10}, {2, 10}, {1, 13}});
  }
  SECTION("arming timers that come due within the advance, or at the next one for delay 0") {
    s.arm(0, 10);
    s.actions[0] = {{Op::arm, 4, 5}, {Op::arm, 5, 0}, {Op::arm, 6, 300}};
    CHECK(wheel.advance(1000) == 3);
    CHECK(s.rec.fires == std::vector<Fire>{{0, 10}, {4, 15}, {6, 310}});
    CHECK(wheel.size() == 1);
    CHECK(wheel.advance(1000) == 1);
    CHECK(s.rec.fires.back() == Fire{5, 1000});
  }
  SECTION("cancelling a timer left over by the budget") {
    s.arm(0, 10);
    s.arm(1, 10);
    s.arm(2, 10);
    s.arm(3, 11);
    CHECK(wheel.advance(100, 1) == 1);
    s.actions[1] = {{Op::cancel, 2, 0}};
    CHECK(wheel.advance(100) == 2);
    CHECK(s.rec.fired_ids() == std::vector<uint32_t>{0, 1, 3});
    CHECK(wheel.size() == 0);
  }
}

TEST_CASE("budget limits the callbacks per advance without losing or repeating any", "[timer_wheel]") {
  TimerWheel wheel(0);
  Recorder rec(wheel, 16);

  SECTION("left-overs fire first, at their own tick, and can be cancelled or re-armed in between") {
    for (uint32_t id = 0; id < 10; ++id) rec.arm(id, 5);
    for (uint32_t id = 10; id < 15; ++id) rec.arm(id, 6);
    CHECK(wheel.advance(0, 0) == 0);
    CHECK(wheel.advance(100, 0) == 0);
    CHECK(wheel.now() == 0);
    CHECK(wheel.advance(100, 3) == 3);
    CHECK(wheel.now() == 5);
    CHECK(wheel.size() == 12);
    wheel.cancel(rec.timers[3]);
    rec.arm(4, 1);   // from now() == 5 to tick 6, after 10..14
    rec.arm(15, 0);  // due at 5, after the left-overs
    CHECK(wheel.size() == 12);
    CHECK(wheel.advance(100, 3) == 3);
    CHECK(wheel.now() == 5);
    CHECK(wheel.advance(100) == 9);
    CHECK(wheel.now() == 100);
    CHECK(wheel.size() == 0);
    CHECK(rec.fired_ids() == std::vector<uint32_t>{0, 1, 2, 5, 6, 7, 8, 9, 15, 10, 11, 12, 13, 14, 4});
    for (const Fire& f : rec.fires) CHECK(f.tick == rec.timers[f.id].expires);
  }
  SECTION("running out exactly at the end of a tick does not move now() on") {
    rec.arm(0, 5);
    rec.arm(1, 5);
    rec.arm(2, 9);
    CHECK(wheel.advance(100, 2) == 2);
    CHECK(wheel.now() == 5);
    rec.arm(3, 1);
    CHECK(wheel.advance(100) == 2);
    CHECK(rec.fires == std::vector<Fire>{{0, 5}, {1, 5}, {3, 6}, {2, 9}});
  }
}

TEST_CASE("arming across the 2^32 wrap", "[timer_wheel]") {
  TimerWheel wheel(0xffffff00);
  Recorder rec(wheel, 8);
  const uint32_t delays[] = {0x50, 0xff, 0x100, 0x101, 0x10000, 0x1000005, 0x7f000000, kMax};
  for (uint32_t id = 0; id < 8; ++id) rec.arm(id, delays[id]);
  wheel.advance(0xffffffff);
  CHECK(rec.fired_ids() == std::vector<uint32_t>{0, 1});
  wheel.advance(0);
  CHECK(rec.fired_ids() == std::vector<uint32_t>{0, 1, 2});
  // Step in odd strides so that expiries are met both by stepping and by jumping.
  for (uint64_t t = 0; t < 0x80000000ull; t += 0x1234567) wheel.advance(static_cast<uint32_t>(t));
  wheel.advance(0x7ffffeff);
  REQUIRE(rec.fires.size() == 8);
  for (uint32_t id = 0; id < 8; ++id) {
    CHECK(rec.fires[id].id == id);
    CHECK(rec.fires[id].tick == 0xffffff00u + delays[id]);
  }
  CHECK(wheel.size() == 0);
}

TEST_CASE("large jumps over an empty or sparse wheel are not walked tick by tick", "[timer_wheel]") {
  // 200 jumps of 2^31 - 1 ticks: tick-by-tick this would run for hours.
  TimerWheel wheel(0);
  Recorder rec(wheel, 2);
  uint32_t t = 0;
  for (int i = 0; i < 100; ++i) wheel.advance(t += kMax);
  CHECK(wheel.now() == t);
  rec.arm(0, 10000);
  rec.arm(1, kMax - 1);
  const uint32_t base = t;
  for (int i = 0; i < 100; ++i) wheel.advance(t += kMax);
  CHECK(rec.fires == std::vector<Fire>{{0, base + 10000}, {1, base + kMax - 1}});
}

TEST_CASE("kinds dispatch to their own callback and context", "[timer_wheel]") {
  TimerWheel wheel(0);
  Recorder a(wheel, 1);
  Recorder b(wheel, 1);
  CHECK(a.kind == 0);
  CHECK(b.kind == 1);
  a.arm(0, 3);
  b.arm(0, 2);
  wheel.advance(10);
  CHECK(a.fires == std::vector<Fire>{{0, 3}});
  CHECK(b.fires == std::vector<Fire>{{0, 2}});

  TimerWheel full(0);
  for (unsigned i = 0; i + 1 < TimerWheel::kMaxKinds; ++i) full.register_kind(&Recorder::on_fire, nullptr);
  CHECK(full.register_kind(&Recorder::on_fire, nullptr) == TimerWheel::kMaxKinds - 1);
  CHECK_THROWS_AS(full.register_kind(&Recorder::on_fire, nullptr), std::length_error);
  CHECK_THROWS_AS(wheel.register_kind(nullptr, nullptr), std::invalid_argument);
}

namespace {

// Per-timer outcome of a big run: fired how often, at which tick, and whether fires came in
// (tick, arming order) order.
struct BigRun {
  std::vector<Timer> timers;
  std::vector<uint32_t> fire_count;
  std::vector<uint32_t> fired_at;
  TimerWheel* wheel = nullptr;
  uint32_t last_tick = 0;
  uint32_t last_id = 0;
  bool any = false;
  size_t out_of_order = 0;

  explicit BigRun(size_t n) : timers(n), fire_count(n), fired_at(n) {}

  static void on_fire(Timer* timer, void* ctx) {
    auto* self = static_cast<BigRun*>(ctx);
    const uint32_t id = static_cast<uint32_t>(timer - self->timers.data());
    const uint32_t now = self->wheel->now();
    ++self->fire_count[id];
    self->fired_at[id] = now;
    // Timers are armed in id order, so within a tick ids must rise.
    if (self->any && (static_cast<int32_t>(now - self->last_tick) < 0 || (now == self->last_tick && id < self->last_id)))
      ++self->out_of_order;
    self->any = true;
    self->last_tick = now;
    self->last_id = id;
  }
};

constexpr size_t kBig = 1'000'000;
constexpr uint32_t kBigSpan = 1u << 20;

}  // namespace

TEST_CASE("a million random timers each fire once, at their tick, in order", "[timer_wheel][big]") {
  // The run crosses the 2^32 wrap half-way.
  const uint32_t start = 0u - kBigSpan / 2;
  TimerWheel wheel(start);
  BigRun run(kBig);
  run.wheel = &wheel;
  const uint8_t kind = wheel.register_kind(&BigRun::on_fire, &run);
  SplitMix rng{42};
  std::vector<uint32_t> expiry(kBig);
  for (size_t i = 0; i < kBig; ++i) {
    const uint32_t delay = rng.below(kBigSpan);
    expiry[i] = start + delay;
    wheel.arm(run.timers[i], kind, delay);
  }
  REQUIRE(wheel.size() == kBig);

  uint32_t fired = 0;
  for (uint32_t t = start; static_cast<int32_t>(t - (start + kBigSpan)) < 0;) {
    t += 1 + rng.below(4000);
    fired += wheel.advance(t);
  }
  CHECK(fired == kBig);
  CHECK(wheel.size() == 0);
  CHECK(run.out_of_order == 0);
  size_t wrong_count = 0;
  size_t wrong_tick = 0;
  for (size_t i = 0; i < kBig; ++i) {
    wrong_count += run.fire_count[i] != 1;
    wrong_tick += run.fired_at[i] != expiry[i];
  }
  CHECK(wrong_count == 0);
  CHECK(wrong_tick == 0);
}

TEST_CASE("a million random timers, half cancelled: only the rest fire", "[timer_wheel][big]") {
  const uint32_t start = 0x5a5a5a5a;
  TimerWheel wheel(start);
  BigRun run(kBig);
  run.wheel = &wheel;
  const uint8_t kind = wheel.register_kind(&BigRun::on_fire, &run);
  SplitMix rng{7};
  std::vector<uint32_t> expiry(kBig);
  std::vector<bool> cancelled(kBig);
  for (size_t i = 0; i < kBig; ++i) {
    const uint32_t delay = rng.below(kBigSpan);
    expiry[i] = start + delay;
    wheel.arm(run.timers[i], kind, delay);
  }
  for (size_t i = 0; i < kBig; ++i) {
    if (rng.next() & 1) {
      wheel.cancel(run.timers[i]);
      cancelled[i] = true;
    }
  }
  const size_t kept = static_cast<size_t>(std::count(cancelled.begin(), cancelled.end(), false));
  CHECK(wheel.size() == kept);

  // Half-way, cancel another tenth of those not yet fired, so that cancels also hit cascaded timers.
  wheel.advance(start + kBigSpan / 2);
  size_t late_cancels = 0;
  for (size_t i = 0; i < kBig; i += 10) {
    if (run.timers[i].armed()) {
      wheel.cancel(run.timers[i]);
      cancelled[i] = true;
      ++late_cancels;
    }
  }
  CHECK(late_cancels > 10'000);
  wheel.advance(start + kBigSpan);
  CHECK(wheel.size() == 0);
  CHECK(run.out_of_order == 0);
  size_t wrong = 0;
  for (size_t i = 0; i < kBig; ++i) {
    if (cancelled[i] && run.fire_count[i] != 0) ++wrong;
    if (!cancelled[i] && (run.fire_count[i] != 1 || run.fired_at[i] != expiry[i])) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("random operations match a reference model", "[timer_wheel]") {
  // The model: armed timers ordered by (expiry, arm sequence) on unwrapped 64-bit time; advance fires them in
  // that order up to the budget, and now() stops at the last fired tick when the budget runs out.
  constexpr uint32_t kTimers = 3000;
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    SplitMix rng{seed};
    const uint64_t start = seed == 2 ? 0xfff00000u : rng.below(UINT32_MAX);
    TimerWheel wheel(static_cast<uint32_t>(start));
    Recorder rec(wheel, kTimers);

    using Key = std::tuple<uint64_t, uint64_t, uint32_t>;  // expiry, sequence, id
    std::set<Key> model;
    std::vector<Key> key_of(kTimers);
    std::vector<bool> in_model(kTimers);
    uint64_t now = start;
    uint64_t sequence = 0;
    std::vector<Fire> expected;

    for (int op = 0; op < 60'000; ++op) {
      const uint32_t id = rng.below(kTimers);
      const uint32_t what = rng.below(100);
      if (what < 50) {
        uint32_t delay = 0;
        const uint32_t range = rng.below(10);
        if (range < 1) delay = 0;
        else if (range < 5) delay = rng.below(300);
        else if (range < 8) delay = rng.below(70'000);
        else if (range < 9) delay = rng.below(1u << 26);
        else delay = kMax - 5 + rng.below(10);
        rec.arm(id, delay);
        if (in_model[id]) model.erase(key_of[id]);
        key_of[id] = {now + std::min(delay, kMax), sequence++, id};
        model.insert(key_of[id]);
        in_model[id] = true;
      } else if (what < 70) {
        wheel.cancel(rec.timers[id]);
        if (in_model[id]) model.erase(key_of[id]);
        in_model[id] = false;
      } else {
        const uint32_t kind_of_step = rng.below(10);
        uint64_t step = 0;
        if (kind_of_step < 1) step = 0;
        else if (kind_of_step < 6) step = rng.below(200);
        else if (kind_of_step < 9) step = rng.below(100'000);
        else step = rng.below(1u << 27);
        const uint32_t budget = rng.below(4) == 0 ? 1 + rng.below(20) : UINT32_MAX;
        const uint32_t got = wheel.advance(static_cast<uint32_t>(now + step), budget);
        uint32_t want = 0;
        while (want < budget && !model.empty() && std::get<0>(*model.begin()) <= now + step) {
          const auto [expiry, seq, fired_id] = *model.begin();
          model.erase(model.begin());
          in_model[fired_id] = false;
          expected.push_back({fired_id, static_cast<uint32_t>(expiry)});
          ++want;
          if (want == budget) now = expiry;
        }
        if (want < budget) now += step;
        REQUIRE(got == want);
        REQUIRE(wheel.now() == static_cast<uint32_t>(now));
      }
      REQUIRE(wheel.size() == model.size());
    }
    CHECK(rec.fires.size() == expected.size());
    CHECK(rec.fires == expected);
    for (uint32_t id = 0; id < kTimers; ++id) CHECK(rec.timers[id].armed() == in_model[id]);
  }
}
