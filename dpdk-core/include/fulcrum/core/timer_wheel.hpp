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
  uint32_t advance(uint32_t now_tick, uint32_t budget = UINT32_MAX);

  uint32_t now() const { return now_; }
  size_t size() const { return size_; }

 private:
  // A slot is an intrusive list; the head's address is what pprev of the first node points at.
  struct Slot {
    Timer* head = nullptr;
  };
  void insert(Timer& timer);
  void cascade(unsigned level);

  std::array<std::array<Slot, kSlots>, kLevels> levels_{};
  std::array<Callback, kMaxKinds> callbacks_{};
  std::array<void*, kMaxKinds> contexts_{};
  unsigned kinds_ = 0;
  uint32_t now_;
  size_t size_ = 0;
  Slot pending_{};  // timers taken out of a slot for firing but not yet fired (budget ran out)
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
