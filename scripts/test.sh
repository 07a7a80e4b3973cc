#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the dependencies, builds, runs every test.
#   scripts/test.sh            unit + integration tests (Debug), the unit tests under ASan/UBSan, then the
#                              Release build and the demo (scripts/demo.sh --once) as a smoke test
#   scripts/test.sh --quick    the Debug build's tests only
# Integration tests create network namespaces and need root.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

bash scripts/install-deps.sh

status=0
scripts/build.sh debug
(cd build/debug && ctest --output-on-failure --timeout 900) || status=1

if [ "$quick" = 0 ]; then
  scripts/build.sh asan
  # DPDK's EAL maps memory in ways LeakSanitizer cannot follow; leaks are checked in our own unit tests only.
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest -L unit --output-on-failure --timeout 900) || status=1
  bash scripts/demo.sh --once || { echo "test.sh: the demo failed" >&2; status=1; }
fi

if [ "$status" = 0 ]; then echo "test.sh: all tests passed"; else echo "test.sh: FAILED" >&2; fi
exit "$status"
