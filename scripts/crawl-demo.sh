#!/usr/bin/env bash
# One crawl pass over the local test portal (tests/portal), as a person would run it:
# starts the portal on its default ports (127.0.0.1:18481-18483), runs
# `nianbao crawl --once --sources examples/local-portal.toml`, prints the summary per source,
# and stops the portal. Needs a build (scripts/demo.sh or scripts/test.sh makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${NIANBAO:-build/app/nianbao}
STATE=$(mktemp -d /tmp/nianbao-crawl-demo.XXXXXX)
python3 tests/portal/local_portal.py --log "$STATE/portal.jsonl" > "$STATE/portal.out" &
PORTAL=$!
trap 'kill $PORTAL 2>/dev/null || true; wait $PORTAL 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q READY "$STATE/portal.out" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$STATE/portal.out" || { echo "the local portal did not start"; exit 1; }
"$BIN" crawl --once --sources examples/local-portal.toml --state-dir "$STATE/state" \
  --print-pages > "$STATE/pages.jsonl" 2> "$STATE/summary.txt" || true
grep '^source ' "$STATE/summary.txt"
echo "report pages handed on: $(grep -c '^{' "$STATE/pages.jsonl")  (one JSON line each in $STATE/pages.jsonl)"
