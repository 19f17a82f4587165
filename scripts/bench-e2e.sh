#!/usr/bin/env bash
# End-to-end benchmark (BENCHMARKS.md, "End to end with Kafka"): `nianbao run --once` from
# fetch to acknowledged delivery into the embedded Kafka (librdkafka's mock cluster, in the
# daemon's process), over bench/bench_portal.py's 50 hosts x 200 reports, with 1 and then 2
# parser threads ([ingest] workers). JSON in $BUILD/bench-results/e2e.json.
#
#   scripts/bench-e2e.sh                     # 3 runs per worker count (about 6 minutes)
#   scripts/bench-e2e.sh --runs 5 --hosts 10 # any option of bench_crawl.py e2e
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
exec /usr/bin/python3 scripts/bench_crawl.py e2e --nianbao "$BUILD/app/nianbao" \
  --out-dir "$BUILD/bench-results" --runs 3 --warmup 0 "$@"
