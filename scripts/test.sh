#!/usr/bin/env bash
# Runs the whole test suite: format check, a -Werror build, every CTest test, then the same
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test.sh              # everything (what CI runs)
#   NIANBAO_SKIP_SANITIZERS=1 scripts/test.sh   # quick local loop
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

echo "== dependencies"
scripts/install-deps.sh

echo "== clang-format check"
scripts/format.sh --check

echo "== build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIANBAO_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"

echo "== tests"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 300

echo "== benchmarks smoke"
scripts/bench-smoke.sh

if [ "${NIANBAO_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNIANBAO_WERROR=ON \
    -DNIANBAO_SANITIZE=address >/dev/null
  cmake --build build-asan -j"$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS" --timeout 600
fi
echo "== all tests passed"
