#!/usr/bin/env bash
# Runs the whole test suite: format check, a -Werror build, every CTest test, the Debian
# package built and checked (scripts/package.sh), the benchmarks
# once on small inputs, then the same tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer, the concurrency tests under ThreadSanitizer, and every libFuzzer
# target of fuzz/ for a few seconds (docs/RELIABILITY.md).
#
#   scripts/test.sh              # everything (what CI runs)
#   NIANBAO_SKIP_SANITIZERS=1 scripts/test.sh   # quick local loop
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
# Each stage's start, so that CI's time can be read off the log (the budget: 45 min on 2 cores).
stage() { echo "== $* ($(date -u +%T))"; }
# Line tables only (-g1): stack traces keep file:line, the build is a fifth faster than -g.
DEBUG_INFO=-g1

stage dependencies
scripts/install-deps.sh

stage clang-format check
scripts/format.sh --check

stage "build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIANBAO_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $DEBUG_INFO -DNDEBUG" >/dev/null
cmake --build build -j"$JOBS"

stage tests
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 300

stage "Debian package: lintian, its contents in a scratch root, the installed unit"
scripts/package.sh build

stage benchmarks smoke
scripts/bench-smoke.sh

if [ "${NIANBAO_SKIP_SANITIZERS:-0}" != 1 ]; then
  stage tests under AddressSanitizer + UndefinedBehaviorSanitizer
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNIANBAO_WERROR=ON \
    -DNIANBAO_SANITIZE=address -DCMAKE_CXX_FLAGS_DEBUG="$DEBUG_INFO" >/dev/null
  cmake --build build-asan -j"$JOBS"
  # NIANBAO_TIMING_CHECKS=0: discover_e2e_test leaves out the politeness gaps it reads off the
  # portal's request stamps; a sanitized build on a loaded machine delays the portal's stamps
  # by more than the margin (the check runs in the plain stage above). crawl_portal_test reads
  # the gaps off the crawler's own fetch log, which load does not blur, and checks them always.
  # tests/lsan.supp: leaks inside system libraries (fontconfig under poppler), documented there.
  # Left out here, run in the plain stage: the cluster tests and the soak (minutes of several
  # daemons and a mock Kafka waiting on the group's timers; under ASan they cost a quarter of
  # the stage and test the group's timing more than memory: cluster_test runs the cluster
  # node's code under ASan on the in-process mock).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp" \
    NIANBAO_TIMING_CHECKS=0 ctest --test-dir build-asan --output-on-failure -j"$JOBS" --timeout 600 \
    -E '^(cluster_e2e_test|cluster_faults_e2e_test|soak_test)$'
fi
if [ "${NIANBAO_SKIP_SANITIZERS:-0}" != 1 ]; then
  # The concurrent parts (event loop + server threads, parser workers, sink threads) under
  # ThreadSanitizer. Left out: the Kafka tests (Debian's librdkafka starts its threads in a
  # way TSan does not follow) and the timing bounds of the robots matcher (TSan is slower).
  stage concurrency tests under ThreadSanitizer
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNIANBAO_WERROR=ON \
    -DNIANBAO_SANITIZE=thread -DCMAKE_CXX_FLAGS_DEBUG="$DEBUG_INFO" >/dev/null
  cmake --build build-tsan -j"$JOBS" --target crawler_test ingest_test journey_test sinks_test
  export TSAN_OPTIONS=halt_on_error=1
  build-tsan/tests/crawler_test --gtest_filter='-RobotsLimitsTest.*Fast*' --gtest_brief=1
  build-tsan/tests/ingest_test --gtest_brief=1
  build-tsan/tests/journey_test --gtest_brief=1
  build-tsan/tests/sinks_test --gtest_filter='-*Kafka*:Abortable*' --gtest_brief=1
fi
if [ "${NIANBAO_SKIP_SANITIZERS:-0}" != 1 ]; then
  # Short: the fixtures and seeds as seed corpus, NIANBAO_FUZZ_SECONDS per target. The long
  # runs are scripts/fuzz.sh with a longer time; what they find becomes a regression test.
  stage fuzzing, briefly
  scripts/fuzz.sh "${NIANBAO_FUZZ_SECONDS:-10}" build-fuzz
fi
stage all tests passed
