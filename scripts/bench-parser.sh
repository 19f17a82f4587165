#!/usr/bin/env bash
# Parser benchmarks (BENCHMARKS.md, "Parser"): parse + validate beside Gumbo's own parse, per
# input, with repetitions interleaved at random; prints the Markdown tables.
#
#   scripts/bench-parser.sh                     # build-bench (Release), 10 repetitions
#   REPS=5 MIN_TIME=0.3 scripts/bench-parser.sh # BENCHMARKS.md's run (about 4 minutes)
#   BUILD=build REPS=3 scripts/bench-parser.sh  # another build tree, fewer repetitions
#   scripts/bench-parser.sh --benchmark_filter=portal/   # extra flags go to parser_bench
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
REPS=${REPS:-10}
MIN_TIME=${MIN_TIME:-0.5}
OUT=${OUT:-$BUILD/bench-results}
BIN=$BUILD/bench/parser_bench
if [ ! -x "$BIN" ]; then
  echo "bench-parser: no $BIN; build it first:" >&2
  echo "  cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD" >&2
  exit 2
fi
mkdir -p "$OUT"
echo "bench-parser: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN" --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT/parser.json" --benchmark_out_format=json "$@" >&2
echo "bench-parser: load after $(cut -d' ' -f1-3 /proc/loadavg); JSON in $OUT/parser.json" >&2
python3 scripts/bench_report.py "$OUT/parser.json"
