#!/usr/bin/env bash
# CI smoke of the benchmarks (scripts/test.sh runs it): every benchmark program once, on a tiny
# input, from the existing build/ (nothing is built here). No time is asserted; the exit status
# is non-zero only when a program fails (or a crawl misses pages). Each step's output goes to a
# log, shown when the step fails.
#
#   scripts/bench-smoke.sh            # build/
#   BUILD=build-bench scripts/bench-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$(mktemp -d /tmp/nianbao-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

step() {
  local name=$1
  shift
  echo "-- $name"
  if ! "$@" >"$OUT/step.log" 2>&1; then
    cat "$OUT/step.log" >&2
    echo "bench-smoke: FAILED: $name" >&2
    exit 1
  fi
}

crawl=(/usr/bin/python3 scripts/bench_crawl.py --nianbao "$BUILD/app/nianbao" --out-dir "$OUT"
  --runs 1 --warmup 0 --work-dir "$OUT")
step "parser_bench" "$BUILD/bench/parser_bench" --benchmark_min_time=0.01 \
  --benchmark_filter='/(seed/000|html/form_2021|portal/word_2019_utf8@300KiB|size/10KiB)' \
  --benchmark_repetitions=2 --benchmark_out="$OUT/parser.json" --benchmark_out_format=json
step "bench_report.py" python3 scripts/bench_report.py "$OUT/parser.json"
step "bench-peer.sh: the lxml peer beside parse, with the local portal's pages" \
  env BUILD="$BUILD" REPS=1 MIN_TIME=0.001 OUT="$OUT/peer" scripts/bench-peer.sh
step "bench-crawl: 2 hosts x 5 reports, nianbao and Scrapy" \
  "${crawl[@]}" crawl --hosts 2 --reports 5 --per-list 2
step "bench-e2e: embedded Kafka, 2 hosts x 5 reports" \
  "${crawl[@]}" e2e --hosts 2 --reports 5 --per-list 2
step "bench-scale: sources" "${crawl[@]}" scale-sources --sources 2,4 --hosts 2 --reports 1
step "bench-scale: page size" \
  "${crawl[@]}" scale-pages --hosts 1 --reports 2 --page-kibs 0,64 --flavor plain
step "bench-scale: national pass, 3 hosts, first and conditional pass" \
  "${crawl[@]}" national --national-hosts 3 --reports 6 --per-list 2 --min-delay-ms 20 \
  --concurrency 8 --per-host 1 --flavor plain
echo "bench-smoke: ok"
