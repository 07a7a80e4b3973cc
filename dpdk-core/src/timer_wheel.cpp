#include "fulcrum/core/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <stdexcept>

#include <rte_cycles.h>

namespace fulcrum::core {

namespace {

void init_ring(Timer& head) {
  head.next = &head;
  head.pprev = &head.next;
}

bool ring_empty(const Timer& head) { return head.next == &head; }

void append(Timer& head, Timer& timer) {
  timer.next = &head;
  timer.pprev = head.pprev;
  *head.pprev = &timer;
  head.pprev = &timer.next;
}

// The successor is never null in a ring, which is what lets this work without knowing the list.
void unlink(Timer& timer) {
  *timer.pprev = timer.next;
  timer.next->pprev = timer.pprev;
}

void splice_tail(Timer& from, Timer& to) {
  if (ring_empty(from)) return;
  from.next->pprev = to.pprev;
  *to.pprev = from.next;
  *from.pprev = &to;
  to.pprev = from.pprev;
  init_ring(from);
}

constexpr unsigned kWordBits = 64;

// First set bit at or after `from` (which may be one past the end), or -1.
int find_set(const std::array<uint64_t, TimerWheel::kSlots / kWordBits>& bits, unsigned from) {
  for (unsigned w = from / kWordBits; w < bits.size(); ++w) {
    uint64_t word = bits[w];
    if (w == from / kWordBits) word &= ~uint64_t{0} << (from % kWordBits);
    if (word != 0) return static_cast<int>(w * kWordBits + static_cast<unsigned>(std::countr_zero(word)));
  }
  return -1;
}

}  // namespace

TimerWheel::TimerWheel(uint32_t now_tick) : now_(now_tick) {
  for (auto& level : slots_)
    for (Timer& slot : level) init_ring(slot);
  init_ring(due_);
  init_ring(zero_delay_);
}

uint8_t TimerWheel::register_kind(Callback callback, void* ctx) {
  if (callback == nullptr) throw std::invalid_argument("timer kind without a callback");
  if (kind_count_ == kMaxKinds) throw std::length_error("more than 256 timer kinds");
  kinds_[kind_count_] = Kind{callback, ctx};
  return static_cast<uint8_t>(kind_count_++);
}

void TimerWheel::arm(Timer& timer, uint8_t kind, uint32_t delay) {
  assert(kind < kind_count_);
  if (timer.armed())
    unlink(timer);
  else
    ++size_;
  timer.kind = kind;
  if (delay > kMaxDelay) delay = kMaxDelay;
  timer.expires = now_ + delay;
  // A slot for now_ has already been expired (or is being), so delay 0 needs a list of its own.
  if (delay == 0)
    append(zero_delay_, timer);
  else
    insert(timer);
}

void TimerWheel::cancel(Timer& timer) {
  if (!timer.armed()) return;
  unlink(timer);
  timer.pprev = nullptr;
  --size_;
}

void TimerWheel::insert(Timer& timer) {
  // | 1 keeps an expiry equal to now_ (met while cascading) on level 0.
  const uint32_t differing = (timer.expires ^ now_) | 1u;
  const unsigned level = static_cast<unsigned>(std::bit_width(differing) - 1) / kSlotBits;
  const unsigned slot = (timer.expires >> (level * kSlotBits)) & (kSlots - 1);
  append(slots_[level][slot], timer);
  occupied_[level][slot / kWordBits] |= uint64_t{1} << (slot % kWordBits);
}

void TimerWheel::cascade(unsigned level, unsigned slot) {
  occupied_[level][slot / kWordBits] &= ~(uint64_t{1} << (slot % kWordBits));
  Timer& head = slots_[level][slot];
  // now_ has just entered this slot's span, so every timer here lands on a lower level, in arming order.
  while (!ring_empty(head)) {
    Timer& timer = *head.next;
    unlink(timer);
    insert(timer);
  }
}

// The next tick after now_ at which a slot must be visited: an occupied level-0 slot, or the start of the
// span of an occupied higher slot. Lower levels are searched first because their spans end before any
// higher slot's begins; nothing occupied lies at or behind now_ on levels 0-2, as every such slot was
// visited on the way here. The top level covers the whole 32-bit space, so its search wraps.
bool TimerWheel::next_event(uint32_t& tick) const {
  for (unsigned level = 0; level + 1 < kLevels; ++level) {
    const unsigned shift = level * kSlotBits;
    const unsigned current = (now_ >> shift) & (kSlots - 1);
    const int slot = find_set(occupied_[level], current + 1);
    if (slot >= 0) {
      const uint32_t span_mask = (uint32_t{1} << (shift + kSlotBits)) - 1;
      tick = (now_ & ~span_mask) | (static_cast<uint32_t>(slot) << shift);
      return true;
    }
  }
  const unsigned shift = (kLevels - 1) * kSlotBits;
  const unsigned current = now_ >> shift;
  int slot = find_set(occupied_[kLevels - 1], current + 1);
  if (slot < 0) slot = find_set(occupied_[kLevels - 1], 0);
  if (slot < 0) return false;
  tick = static_cast<uint32_t>(slot) << shift;
  return true;
}

// Visits now_: cascades the highest level whose span starts here, then moves the level-0 slot for now_ to
// the due list. Lower levels need no cascade at such a tick: their current slots could only hold expiries
// before now_, and the cascade never lands timers there either.
void TimerWheel::expire_tick() {
  const unsigned level = std::min(static_cast<unsigned>(std::countr_zero(now_)) / kSlotBits, kLevels - 1);
  if (level > 0) cascade(level, (now_ >> (level * kSlotBits)) & (kSlots - 1));
  const unsigned slot = now_ & (kSlots - 1);
  occupied_[0][slot / kWordBits] &= ~(uint64_t{1} << (slot % kWordBits));
  splice_tail(slots_[0][slot], due_);
}

uint32_t TimerWheel::fire_due(uint32_t budget) {
  uint32_t fired = 0;
  while (fired < budget && !ring_empty(due_)) {
    Timer& timer = *due_.next;
    unlink(timer);
    timer.pprev = nullptr;  // before the callback, so that it may re-arm the timer
    --size_;
    ++fired;
    const Kind& kind = kinds_[timer.kind];
    kind.callback(&timer, kind.ctx);
  }
  return fired;
}

uint32_t TimerWheel::advance(uint32_t now_tick, uint32_t budget) {
  // Leftovers of the last call are already in due_ and go first; zero-delay timers armed from now on go to
  // zero_delay_ and so wait for the next call.
  splice_tail(zero_delay_, due_);
  uint32_t fired = fire_due(budget);
  while (fired < budget && static_cast<int32_t>(now_tick - now_) > 0) {
    uint32_t tick = 0;
    if (!next_event(tick) || static_cast<int32_t>(tick - now_tick) > 0) {
      now_ = now_tick;  // nothing to visit up to now_tick: every timer keeps its slot
      break;
    }
    now_ = tick;
    expire_tick();
    fired += fire_due(budget - fired);
  }
  return fired;
}

TickClock::TickClock(uint32_t tick_us) : start_tsc_(rte_get_tsc_cycles()), cycles_per_tick_(0), tick_us_(tick_us) {
  if (tick_us == 0) throw std::invalid_argument("timer tick of 0 us");
  const uint64_t hz = rte_get_tsc_hz();
  // Split so that hz * tick_us cannot overflow.
  cycles_per_tick_ = hz / 1'000'000 * tick_us + hz % 1'000'000 * tick_us / 1'000'000;
  if (cycles_per_tick_ == 0) throw std::invalid_argument("TSC frequency unknown: is EAL initialised?");
}

uint32_t TickClock::now() const {
  // Truncation to 32 bits is the wrap-around the wheel expects.
  return static_cast<uint32_t>((rte_get_tsc_cycles() - start_tsc_) / cycles_per_tick_);
}

}  // namespace fulcrum::core
