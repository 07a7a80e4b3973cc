#!/usr/bin/env bash
# Configures and builds one build type into build/<type>: debug (default), release or asan.
#   scripts/build.sh [debug|release|asan] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

type=${1:-debug}
shift || true
case "$type" in
  debug) cmake_type=Debug ;;
  release) cmake_type=Release ;;
  asan) cmake_type=Asan ;;
  *) echo "build.sh: unknown build type '$type' (debug, release or asan)" >&2; exit 2 ;;
esac

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
dir="build/$type"
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$cmake_type" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
echo "build.sh: $dir is up to date"
