#!/usr/bin/env bash
# Scaling benchmarks (BENCHMARKS.md, "Scaling"), nianbao `run --once` (file sink) and `crawl
# --once` on bench/bench_portal.py:
#   sources: 100, 1,000 and 10,000 sources (columns) on at most 100 hosts, each one list page
#            and 2 report pages (plain markup, 11-18 KB);
#   pages:   10 hosts x 20 reports, report pages as rendered (plain, ~14 KB), 100 KiB, 1 MiB
#            and 5 MiB (padded with portal chrome);
#   national (only when named): the national pass, simulated: `crawl --once` twice (first
#            pass, then the conditional pass) over 300, 3,000 and 30,000 hosts, one source
#            each, reports per host lognormal, min_delay 100 ms, one run per point.
# JSON in $BUILD/bench-results/{sources,page_size,national}.json.
#
#   scripts/bench-scale.sh            # sources and pages, 3 runs per point (about 13 minutes)
#   scripts/bench-scale.sh sources    # one series; extra options go to bench_crawl.py
#   scripts/bench-scale.sh national   # the national pass (about 20 minutes; 300 and 3,000 hosts
#                                     # alone: --national-hosts 300,3000, about 6 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
which=${1:-all}
[ $# -gt 0 ] && shift
common=(--nianbao "$BUILD/app/nianbao" --out-dir "$BUILD/bench-results" --runs 3 --warmup 0
  --flavor plain)
if [ "$which" = all ] || [ "$which" = sources ]; then
  /usr/bin/python3 scripts/bench_crawl.py scale-sources "${common[@]}" --hosts 100 --reports 2 \
    --sources 100,1000,10000 "$@"
fi
if [ "$which" = all ] || [ "$which" = pages ]; then
  /usr/bin/python3 scripts/bench_crawl.py scale-pages "${common[@]}" --hosts 10 --reports 20 \
    --page-kibs 0,100,1024,5120 "$@"
fi
if [ "$which" = national ]; then
  /usr/bin/python3 scripts/bench_crawl.py national --nianbao "$BUILD/app/nianbao" \
    --out-dir "$BUILD/bench-results" --flavor plain --national-hosts 300,3000,30000 \
    --min-delay-ms 100 --reports 300 --median-reports 12 --sigma 1.0 --seed 19 --per-list 10 \
    --concurrency 64 --per-host 1 "$@"
fi
