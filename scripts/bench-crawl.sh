#!/usr/bin/env bash
# Crawl benchmark (BENCHMARKS.md, "Crawl"): bench/bench_portal.py serves 50 hosts x 200 report
# pages (+ 10 list pages each) on loopback; nianbao (`run --once` into the file sink, and
# `crawl --once`) and the Scrapy spider of bench/scrapy/ (with and without parsing) crawl it in
# turn, same concurrency (32), same per-host limit (2), no politeness delay, robots.txt obeyed
# (allow all). Prints the Markdown tables; JSON in $BUILD/bench-results/crawl.json.
#
#   scripts/bench-crawl.sh                               # 3 runs (about 15 minutes on 2 cores)
#   scripts/bench-crawl.sh --hosts 2 --reports 5 --runs 1   # any option of bench_crawl.py crawl
#   BUILD=build scripts/bench-crawl.sh ...               # another build tree's nianbao
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
exec /usr/bin/python3 scripts/bench_crawl.py crawl --nianbao "$BUILD/app/nianbao" \
  --out-dir "$BUILD/bench-results" --runs 3 --warmup 0 "$@"
