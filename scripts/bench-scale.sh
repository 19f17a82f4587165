#!/usr/bin/env bash
# Scaling benchmarks (BENCHMARKS.md, "Scaling"), nianbao `run --once` (file sink) and `crawl
# --once` on bench/bench_portal.py:
#   sources: 100, 1,000 and 10,000 sources (columns) on at most 100 hosts, each one list page
#            and 2 report pages (plain markup, 11-18 KB);
#   pages:   10 hosts x 20 reports, report pages as rendered (plain, ~14 KB), 100 KiB, 1 MiB
#            and 5 MiB (padded with portal chrome).
# JSON in $BUILD/bench-results/{sources,page_size}.json.
#
#   scripts/bench-scale.sh            # both series, 3 runs per point (about 13 minutes)
#   scripts/bench-scale.sh sources    # one series; extra options go to bench_crawl.py
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
