#pragma once
// Counts every global operator new in the test binary, so tests can check that a path does not allocate.

#include <cstdint>

namespace alloc_counter {
uint64_t count();
}
