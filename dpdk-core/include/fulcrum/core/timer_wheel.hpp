#pragma once
// A per-lcore hierarchical timing wheel with O(1) arm and cancel.
//
// Why not rte_timer: its skiplist makes every add O(log n) and each rte_timer is over 100 bytes, while the
// ipvs layer keeps one timer per connection, millions per worker, inside a budget of ~160 bytes per connection.
// A Timer here is 24 bytes and is embedded in its owner (the owner is recovered with container_of-style
// arithmetic in the callback). Expiry times are 32-bit tick counts compared with wrap-around arithmetic, so
// a wheel runs forever; one delay may be at most kMaxDelay ticks.
//
// Not thread-safe: a wheel belongs to one lcore, like all worker state.

#include <array>
#include <cstddef>
#include <cstdint>

namespace fulcrum::core {

struct Timer {
  Timer* next = nullptr;
  Timer** pprev = nullptr;  // null while not armed
  uint32_t expires = 0;     // absolute tick
  uint8_t kind = 0;         // index of the callback registered with TimerWheel::register_kind
  uint8_t reserved[3] = {};

  Timer() = default;
  // The wheel links timers by address: a copied or moved armed timer would corrupt it, so owners that relocate
  // entries must cancel and re-arm instead.
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  bool armed() const { return pprev != nullptr; }
};
static_assert(sizeof(Timer) == 24);

class TimerWheel {
 public:
  using Callback = void (*)(Timer* timer, void* ctx);
  static constexpr unsigned kLevels = 4;
  static constexpr unsigned kSlotBits = 8;
  static constexpr unsigned kSlots = 1u << kSlotBits;
  static constexpr uint32_t kMaxDelay = 0x7fffffffu;  // longer delays are clamped to this
  static constexpr unsigned kMaxKinds = 256;

  explicit TimerWheel(uint32_t now_tick = 0);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // A kind is a callback shared by many timers (e.g. "connection expiry"); returns its index.
  uint8_t register_kind(Callback callback, void* ctx);

  // Arms (or re-arms) `timer` to fire `delay` ticks from now(); a delay of 0 fires at the next advance.
  void arm(Timer& timer, uint8_t kind, uint32_t delay);
  void cancel(Timer& timer);

  // Fires, in expiry order between levels and FIFO within a tick, every timer due at or before `now_tick`,
  // at most `budget` of them. A callback may arm or cancel any timer, including the one firing. Timers left
  // over when the budget runs out fire on the next call. Returns how many fired.
  // FIFO means in order of the last arm() call. A timer armed with delay 0, also from a callback, waits for
  // the next call, so a callback re-arming itself with delay 0 cannot loop. While a callback runs, now() is
  // the tick being processed, which is the timer's expiry unless a callback armed it with delay 0; after
  // the call it is the last tick processed, short of now_tick if the budget ran out. A now_tick behind
  // now() only fires what is already due. Must not be called from a callback.
  uint32_t advance(uint32_t now_tick, uint32_t budget = UINT32_MAX);

  uint32_t now() const { return now_; }
  size_t size() const { return size_; }

 private:
  // Every list (slot, due, zero-delay) is a ring through a sentinel Timer: unlinking then needs neither the
  // list nor a branch, and appending at the tail, which FIFO order needs, is O(1). A sentinel's pprev points
  // at the next field of the last node (its own next when the ring is empty).
  using Bitmap = std::array<uint64_t, kSlots / 64>;
  struct Kind {
    Callback callback = nullptr;
    void* ctx = nullptr;
  };

  void insert(Timer& timer);
  void cascade(unsigned level, unsigned slot);
  bool next_event(uint32_t& tick) const;
  void expire_tick();
  uint32_t fire_due(uint32_t budget);

  // Placement: a timer sits on the level of the highest byte in which its expiry differs from now_, in the
  // slot given by that byte of the expiry. Slots are cascaded when now_ enters their span, so all timers of
  // one expiry always share a slot, and appending keeps them in arming order.
  std::array<std::array<Timer, kSlots>, kLevels> slots_;
  std::array<Bitmap, kLevels> occupied_{};  // may over-report after cancel; cleared when the slot is visited
  std::array<Kind, kMaxKinds> kinds_{};
  unsigned kind_count_ = 0;
  uint32_t now_;
  size_t size_ = 0;
  Timer due_;         // expired, waiting for their callback; left over here when the budget runs out
  Timer zero_delay_;  // armed with delay 0: they join due_ at the start of the next advance
};

// Converts TSC readings into the wheel's ticks; one per lcore, created after rte_eal_init.
class TickClock {
 public:
  explicit TickClock(uint32_t tick_us);
  uint32_t now() const;
  uint32_t ticks_from_us(uint64_t us) const { return static_cast<uint32_t>(us / tick_us_); }
  uint32_t tick_us() const { return tick_us_; }

 private:
  uint64_t start_tsc_;
  uint64_t cycles_per_tick_;
  uint32_t tick_us_;
};

}  // namespace fulcrum::core
