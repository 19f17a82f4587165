#!/usr/bin/env bash
# nianbao's parse + validate beside the Python peer (bench/lxml_peer.py: lxml.html parse and the
# rows of every innermost table) on the same files, CPU per file on one core (BENCHMARKS.md §1,
# "Beside the Python peer"). The files are parser_bench's HTML inputs (--dump-inputs): the
# HTML fixtures as they are, the 300 KiB portal pages and the page-size series, and the report
# pages of the local test portal (bench/portal_pages.py: its TRS, Hanweb, JPaaS, gkmlpt, ...
# shapes), summed per host.
#
#   scripts/bench-peer.sh                          # build-bench (Release), 5 repetitions
#   BUILD=build REPS=3 scripts/bench-peer.sh       # another build tree, fewer repetitions
#
# Prints a Markdown table: medians (min-max) of CPU µs per file for each side and the ratio
# peer / nianbao (how many times nianbao's throughput the peer's is; the issue's target: >= 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.3}
OUT=${OUT:-$BUILD/bench-results}
BIN=$BUILD/bench/parser_bench
PY=${PYTHON:-/usr/bin/python3}
if [ ! -x "$BIN" ]; then
  echo "bench-peer: no $BIN; build it first:" >&2
  echo "  cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD --target parser_bench" >&2
  exit 2
fi
"$PY" -c 'import lxml.html' || { echo "bench-peer: $PY has no lxml (python3-lxml)" >&2; exit 2; }
mkdir -p "$OUT"
rm -rf "$OUT/peer-inputs" "$OUT/portal-pages"
"$PY" bench/portal_pages.py "$OUT/portal-pages"
"$BIN" --inputs-dir="$OUT/portal-pages" --dump-inputs="$OUT/peer-inputs"
echo "bench-peer: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN" --inputs-dir="$OUT/portal-pages" \
  --benchmark_filter='^nianbao_parse/(html|portal|size|local)/[^/]*(/real_time/threads:1)?$' \
  --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT/peer-nianbao.json" \
  --benchmark_out_format=json >/dev/null
"$PY" bench/lxml_peer.py --reps "$REPS" --min-time "$MIN_TIME" \
  "$OUT"/peer-inputs/html_*.html "$OUT"/peer-inputs/portal_*.html "$OUT"/peer-inputs/size_*.html \
  "$OUT"/peer-inputs/local_*.html \
  >"$OUT/peer-lxml.jsonl"
echo "bench-peer: load after $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PY" - "$OUT/peer-nianbao.json" "$OUT/peer-lxml.jsonl" <<'EOF'
import json, os, statistics, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    name = b["name"].split("/")
    key = name[1] + "_" + name[2]  # family_input, as --dump-inputs names the file
    runs.setdefault(key, []).append(b["cpu_time"])  # µs (the benchmarks' unit)
def fmt(v):
    return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})"
print("| input | bytes | nianbao parse + validate: CPU µs | lxml peer: CPU µs | peer / nianbao | ≥ 2? |")
print("|---|---|---|---|---|---|")
def row(name, size, n, peer, ratio, lo, hi):
    print(f"| {name} | {size} | {fmt(n)} | {peer[1]:.0f} ({peer[0]:.0f}–{peer[2]:.0f}) | "
          f"{ratio:.2f} ({lo:.2f}–{hi:.2f}) | {'yes' if ratio >= 2 else '**no**'} |")
local = {}  # host -> [pages, bytes, nianbao medians, peer medians, mins, maxes]
for line in open(sys.argv[2]):
    p = json.loads(line)
    key = os.path.basename(p["file"]).rsplit(".html", 1)[0]
    if key not in runs:
        continue
    n = runs[key]
    peer = [p["cpu_us_min"], p["cpu_us"], p["cpu_us_max"]]
    if key.startswith("local_"):
        # The portal's pages are many and alike within a host: one row per host, sums of the
        # per-page medians (and of the per-page minima and maxima for the range).
        host = key[len("local_"):].rsplit("_", 1)[0]
        acc = local.setdefault(host, [0, 0, [0.0] * 3, [0.0] * 3])
        acc[0] += 1
        acc[1] += p["bytes"]
        for i, v in enumerate((min(n), statistics.median(n), max(n))):
            acc[2][i] += v
        for i, v in enumerate(peer):
            acc[3][i] += v
        continue
    row(key.replace("_", "/", 1), p["bytes"], n, peer, p["cpu_us"] / statistics.median(n),
        p["cpu_us_min"] / max(n), p["cpu_us_max"] / min(n))
for host, (pages, size, n, peer) in sorted(local.items()):
    print(f"| local/{host} ({pages} pages, sums) | {size} | {n[1]:.0f} ({n[0]:.0f}–{n[2]:.0f}) | "
          f"{peer[1]:.0f} ({peer[0]:.0f}–{peer[2]:.0f}) | {peer[1] / n[1]:.2f} "
          f"({peer[0] / n[2]:.2f}–{peer[2] / n[0]:.2f}) | "
          f"{'yes' if peer[1] / n[1] >= 2 else '**no**'} |")
EOF
