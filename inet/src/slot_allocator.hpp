#pragma once
// Slot numbers 1..capacity for entries that every lcore keeps in an array by slot. The master hands them
// out; 0 means "none". A freed slot is reused last-in first-out: the message that frees it is queued on every
// worker before any message that reuses it, so the order is safe.

#include <cstdint>
#include <vector>

namespace fulcrum::inet {

class SlotAllocator {
 public:
  explicit SlotAllocator(uint32_t capacity) : capacity_(capacity) {}

  // 0 when all are in use.
  uint32_t take() {
    if (!free_.empty()) {
      const uint32_t s = free_.back();
      free_.pop_back();
      ++used_;
      return s;
    }
    if (next_ > capacity_) return 0;
    ++used_;
    return next_++;
  }
  void give(uint32_t slot) {
    if (slot == 0 || slot >= next_) return;
    free_.push_back(slot);
    --used_;
  }
  uint32_t used() const { return used_; }
  uint32_t capacity() const { return capacity_; }

 private:
  uint32_t capacity_;
  uint32_t next_ = 1;
  uint32_t used_ = 0;
  std::vector<uint32_t> free_;
};

}  // namespace fulcrum::inet
