#!/usr/bin/env bash
# nianbao's parse + validate beside the Python peer (bench/lxml_peer.py: lxml.html parse and the
# rows of every innermost table) on the same files, CPU per file on one core (BENCHMARKS.md §1,
# "Beside the Python peer"). The files are parser_bench's HTML inputs (--dump-inputs): the
# HTML fixtures as they are, the 300 KiB portal pages and the page-size series.
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
rm -rf "$OUT/peer-inputs"
"$BIN" --dump-inputs="$OUT/peer-inputs"
echo "bench-peer: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN" --benchmark_filter='^nianbao_parse/(html|portal|size)/[^/]*(/real_time/threads:1)?$' \
  --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT/peer-nianbao.json" \
  --benchmark_out_format=json >/dev/null
"$PY" bench/lxml_peer.py --reps "$REPS" --min-time "$MIN_TIME" \
  "$OUT"/peer-inputs/html_*.html "$OUT"/peer-inputs/portal_*.html "$OUT"/peer-inputs/size_*.html \
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
for line in open(sys.argv[2]):
    p = json.loads(line)
    key = os.path.basename(p["file"]).rsplit(".html", 1)[0]
    if key not in runs:
        continue
    n = runs[key]
    peer = [p["cpu_us_min"], p["cpu_us"], p["cpu_us_max"]]
    ratio = p["cpu_us"] / statistics.median(n)
    lo, hi = p["cpu_us_min"] / max(n), p["cpu_us_max"] / min(n)
    name = key.replace("_", "/", 1)
    print(f"| {name} | {p['bytes']} | {fmt(n)} | {p['cpu_us']:.0f} ({p['cpu_us_min']:.0f}–"
          f"{p['cpu_us_max']:.0f}) | {ratio:.2f} ({lo:.2f}–{hi:.2f}) | "
          f"{'yes' if ratio >= 2 else '**no**'} |")
EOF
