#pragma once
// The libc functions the bridge replaces are exported with C linkage and default visibility; everything else
// in the library is hidden (built with -fvisibility=hidden), so that it can not clash with the program's.

#define FULCRUM_BRIDGE_EXPORT extern "C" __attribute__((visibility("default")))
