#pragma once
// One line on stderr per notable event, only with FULCRUM_BRIDGE_DEBUG=1: the tools' own output (which
// scripts parse) must not change because the bridge is there.

namespace fulcrum::bridge {

void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace fulcrum::bridge
