#!/usr/bin/env bash
# `nianbao parse LAST THIS` runs the rules across years (docs/rules.md, history.*) between the
# files it is given, on the pairs of tests/fixtures/history (see tests/parser/history_test.cc
# for what each fixture holds):
#   - a faulty pair: the findings on year N's line, none on year N−1's, in either order;
#   - consistent pairs (also across the change of form): no history.* finding;
#   - another organisation's report among them: untouched.
#
# Usage (CTest runs it so): cli_history_test.sh <path-to-nianbao> <tests/fixtures>
# Needs only bash, coreutils and python3 (standard library).
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <path-to-nianbao> <fixtures-dir>" >&2
  exit 2
fi
bin=$1
dir=$2/history
if [ ! -x "$bin" ] || [ ! -f "$dir/qingshi_2019.txt" ]; then
  echo "cli_history_test: no executable $bin or no fixtures in $dir" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/stdout
err=$tmp/stderr

passed=0
failed=0
# check NAME ARGS... -- EXPECTATION: runs `nianbao parse` on the files, then compares the
# history.* findings of each output line (as "rule path" sorted, joined by ", ") with the
# expectation, one per line separated by " | " ("-" for none).
check() {
  local name=$1
  shift
  local files=()
  while [ "$1" != "--" ]; do
    files+=("$1")
    shift
  done
  shift
  local want=$1
  "$bin" parse "${files[@]}" >"$out" 2>"$err"
  local rc=$?
  local got
  got=$(python3 - "$out" <<'EOF'
import json
import sys

lines = []
with open(sys.argv[1], encoding="utf-8") as f:
    for text in f.read().splitlines():
        j = json.loads(text)
        h = sorted(f"{x['rule']} {x['path']}" for x in j["findings"]
                   if x["rule"].startswith("history."))
        lines.append(", ".join(h) if h else "-")
print(" | ".join(lines))
EOF
  )
  if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failed=$((failed + 1))
    echo "FAIL  $name"
    echo "      exit $rc"
    echo "      want $want"
    echo "      got  $got"
    head -c 400 "$err" | sed 's/^/      /'
  fi
}

faulty_2020="history.carried_over applications.carried_over[1], history.carried_over applications.carried_over[6], history.previous_items proactive.licensing.previous, history.text_copied narrative"
faulty_2021="history.carried_over applications.carried_over[5], history.carried_over applications.carried_over[6], history.text_copied problems"

check "faulty pair: the findings go with year N" \
  "$dir/qingshi_2019.txt" "$dir/qingshi_2020_faulty.txt" -- "- | $faulty_2020"
check "faulty pair, this year first (a backfill): the same findings on year N's line" \
  "$dir/qingshi_2020_faulty.txt" "$dir/qingshi_2019.txt" -- "$faulty_2020 | -"
check "faulty pair across the change of form" \
  "$dir/qingshi_2020.txt" "$dir/qingshi_2021_faulty.txt" -- "- | $faulty_2021"
check "consistent pair: quiet" \
  "$dir/qingshi_2019.txt" "$dir/qingshi_2020.txt" -- "- | -"
check "consistent pair across the change of form: quiet" \
  "$dir/qingshi_2021.txt" "$dir/qingshi_2020.txt" -- "- | -"
check "three consistent years: quiet" \
  "$dir/qingshi_2019.txt" "$dir/qingshi_2020.txt" "$dir/qingshi_2021.txt" -- "- | - | -"
check "another organisation's report is untouched" \
  "$dir/qingshi_2019.txt" "$dir/baihe_2020.txt" -- "- | -"
check "one file alone: no history findings" \
  "$dir/qingshi_2020_faulty.txt" -- "-"
check "years two apart are not compared" \
  "$dir/qingshi_2019.txt" "$dir/qingshi_2021_faulty.txt" -- "- | -"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
