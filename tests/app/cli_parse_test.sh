#!/usr/bin/env bash
# The CLI contract of `nianbao parse` (docs/record-v1.md):
#   nianbao parse [--url URL] FILE...  prints one JSON line {"report": ..., "findings": [...]}
#   per file; exits 0 when every file was read, whatever the findings; exits non-zero with a
#   one-line message naming the file for a file that cannot be read (missing, a directory,
#   unreadable, over --max-bytes, default 16 MiB), and still prints the files it could read.
#
# Usage (CTest runs it so): cli_parse_test.sh <path-to-nianbao> <tests/fixtures>
# Needs only bash, coreutils and python3 (standard library).
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <path-to-nianbao> <fixtures-dir>" >&2
  exit 2
fi
bin=$1
fixtures=$2
if [ ! -x "$bin" ]; then
  echo "cli_parse_test: $bin is not an executable" >&2
  exit 2
fi
seeds=("$fixtures"/seeds/*.txt)
if [ "${#seeds[@]}" -ne 5 ] || [ ! -f "${seeds[0]}" ]; then
  echo "cli_parse_test: expected 5 seeds in $fixtures/seeds, found ${#seeds[@]}" >&2
  exit 2
fi

source "$(dirname "$0")/cli_lib.sh"

# expect STATUS NAME DETAIL...: passes NAME when STATUS is 0, else fails it with the details.
# Called as `expect $? ...` right after the condition: words expand left to right, so $? is
# taken before the command substitutions of the details run.
expect() {
  local status=$1 name=$2
  shift 2
  if [ "$status" -eq 0 ]; then pass "$name"; else fail "$name" "$@"; fi
}

# run ARGS...: runs `nianbao parse ARGS...`; sets rc, leaves stdout in $out and stderr in $err.
out=$tmp/stdout
err=$tmp/stderr
rc=0
run() {
  "$bin" parse "$@" >"$out" 2>"$err"
  rc=$?
}
stderr_text() { printf 'stderr: %s' "$(head -c 400 "$err")"; }
lines() { wc -l <"$1" | tr -d ' '; }

# The JSON checks, in Python's standard library only. `check NAME FILE [ARGS]` prints nothing
# when FILE (the stdout of a run) passes check NAME, else what is wrong (a failure of Python
# itself counts as wrong); `field FILE EXPR` prints EXPR over the first line `j`, or nothing
# when that line is missing or is not what EXPR expects.
cat >"$tmp/checks.py" <<'EOF'
import json
import sys


def read_lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f.read().splitlines(), 1):
            try:
                out.append(json.loads(text))
            except ValueError as e:
                sys.exit(f"line {n} is not JSON ({e}): {text[:120]}")
    return out


def shape(lines):
    """Each line is {"report": {"schema": "nianbao.report.v1", ...}, "findings": [...]}."""
    ok = True
    for n, j in enumerate(lines, 1):
        if not isinstance(j, dict) or not {"report", "findings"} <= set(j):
            print(f"line {n}: not an object with report and findings")
        elif not isinstance(j["report"], dict):
            print(f"line {n}: report is {j['report']!r}")
        elif j["report"].get("schema") != "nianbao.report.v1":
            print(f"line {n}: report.schema is {j['report'].get('schema')!r}")
        elif not isinstance(j["findings"], list):
            print(f"line {n}: findings is {j['findings']!r}")
        else:
            continue
        ok = False
    return ok


def sha256_order(lines, *want):
    got = [j["report"].get("source", {}).get("sha256") for j in lines]
    if got != list(want):
        print(f"source.sha256 in line order is {got}, the files hash to {list(want)}")


def local_ids(lines):
    """Findings carry their record's report_id; a local file has no source.url."""
    for n, j in enumerate(lines, 1):
        r = j["report"]
        for f in j["findings"]:
            if f.get("report_id") != r.get("report_id"):
                print(f"line {n}: {f.get('rule')} has report_id {f.get('report_id')!r}, "
                      f"the record {r.get('report_id')!r}")
        if r.get("source", {}).get("url") is not None:
            print(f"line {n}: source.url is {r['source']['url']!r} for a local file")


def source_urls(lines):
    for j in lines:
        for f in j["findings"]:
            if f.get("source_url") != j["report"]["source"]["url"]:
                print(f"{f.get('rule')}: source_url is {f.get('source_url')!r}")


def not_a_report(lines):
    if len(lines) != 1:
        print(f"{len(lines)} lines")
        return
    rules = [f.get("rule") for f in lines[0]["findings"]]
    if "meta.not_a_report" not in rules:
        print(f"findings are {rules}, no meta.not_a_report")


if __name__ == "__main__":
    name, path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = read_lines(path)
    if name == "field":
        print(eval(args[0], {"j": lines[0] if lines else {}}))
    elif shape(lines) and name != "shape":
        globals()[name](lines, *args)
EOF
check() {
  local result
  result=$(python3 "$tmp/checks.py" "$@" 2>&1) || result="${result:-check $1 failed}"
  printf '%s' "$result"
}
field() { python3 "$tmp/checks.py" field "$1" "$2" 2>/dev/null; }

# ---- all five seeds: exit 0, five lines, in order, each a record of its own file.
run "${seeds[@]}"
[ "$rc" -eq 0 ]
expect $? "five seeds: exit 0" "exit $rc" "$(stderr_text)"
n=$(lines "$out")
[ "$n" -eq 5 ]
expect $? "five seeds: five lines" "got $n"
problems=$(check shape "$out")
[ -z "$problems" ]
expect $? "five seeds: each line is {report, findings} of nianbao.report.v1" "$problems"
mapfile -t sums < <(for s in "${seeds[@]}"; do sha256sum "$s" | cut -d' ' -f1; done)
problems=$(check sha256_order "$out" "${sums[@]}")
[ -z "$problems" ]
expect $? "five seeds: one line per file, in order (source.sha256)" "$problems"
problems=$(check local_ids "$out")
[ -z "$problems" ]
expect $? "five seeds: findings carry the record's report_id; no source.url" "$problems"

# ---- --url: canonical source.url, report_id from the URL, stable.
seed=${seeds[0]}
run "$seed"
cp "$out" "$tmp/plain.json"
run "$seed"
cp "$out" "$tmp/plain2.json"
run --url 'https://WWW.Example.gov.cn:443/a/b.html#x' "$seed"
[ "$rc" -eq 0 ] && [ "$(lines "$out")" -eq 1 ]
expect $? "--url: exit 0, one line" "exit $rc" "$(stderr_text)"
cp "$out" "$tmp/url1.json"
run --url 'https://WWW.Example.gov.cn:443/a/b.html#x' "$seed"
cp "$out" "$tmp/url2.json"
run --url 'https://www.example.gov.cn/a/b.html' "$seed"
cp "$out" "$tmp/canonical.json"

got=$(field "$tmp/url1.json" "j['report']['source']['url']")
[ "$got" = "https://www.example.gov.cn/a/b.html" ]
expect $? "--url: source.url is canonical" "want https://www.example.gov.cn/a/b.html" "got  $got"
problems=$(check source_urls "$tmp/url1.json")
[ -z "$problems" ]
expect $? "--url: findings carry the canonical source_url" "$problems"
id_plain=$(field "$tmp/plain.json" "j['report']['report_id']")
id_plain2=$(field "$tmp/plain2.json" "j['report']['report_id']")
id_url1=$(field "$tmp/url1.json" "j['report']['report_id']")
id_url2=$(field "$tmp/url2.json" "j['report']['report_id']")
id_canonical=$(field "$tmp/canonical.json" "j['report']['report_id']")
[ -n "$id_url1" ] && [ "$id_url1" != "$id_plain" ]
expect $? "--url: report_id differs from the one without --url" "with $id_url1" "without $id_plain"
[ -n "$id_url1" ] && [ "$id_url1" = "$id_url2" ]
expect $? "--url: report_id is stable across runs" "$id_url1" "then $id_url2"
[ -n "$id_url1" ] && [ "$id_url1" = "$id_canonical" ]
expect $? "--url: the URL and its canonical form give one report_id" "$id_url1" "vs $id_canonical"
[ -n "$id_plain" ] && [ "$id_plain" = "$id_plain2" ]
expect $? "no --url: report_id is stable across runs" "$id_plain" "then $id_plain2"

# ---- a missing file among good ones: non-zero, one line naming it, the others printed.
run "${seeds[0]}" "$tmp/no-such-report.html" "${seeds[1]}"
[ "$rc" -ne 0 ]
expect $? "missing file: non-zero exit" "exit 0"
grep -qF "no-such-report.html" "$err"
expect $? "missing file: stderr names the file" "$(stderr_text)"
n=$(lines "$err")
[ "$n" -eq 1 ]
expect $? "missing file: a one-line message" "$n lines" "$(stderr_text)"
n=$(lines "$out")
problems=$(check shape "$out")
[ "$n" -eq 2 ] && [ -z "$problems" ]
expect $? "missing file: the two good files still printed" "$n lines" "$problems"

# ---- a directory.
mkdir "$tmp/a-directory"
run "$tmp/a-directory"
[ "$rc" -ne 0 ] && grep -qF "a-directory" "$err" && [ "$(lines "$out")" -eq 0 ]
expect $? "directory: non-zero exit, stderr names it, nothing on stdout" "exit $rc" "$(stderr_text)"

# ---- an unreadable file (meaningless as root, who reads everything).
if [ "$(id -u)" -eq 0 ]; then
  echo "skip  unreadable file (running as root)"
else
  cp "$seed" "$tmp/unreadable.txt"
  chmod 000 "$tmp/unreadable.txt"
  run "$tmp/unreadable.txt"
  [ "$rc" -ne 0 ] && grep -qF "unreadable.txt" "$err" && [ "$(lines "$out")" -eq 0 ]
  expect $? "unreadable file: non-zero exit, stderr names it, nothing on stdout" "exit $rc" \
    "$(stderr_text)"
fi

# ---- an empty file is read: exit 0 and meta.not_a_report.
: >"$tmp/empty.txt"
run "$tmp/empty.txt"
problems=$(check not_a_report "$out")
[ "$rc" -eq 0 ] && [ -z "$problems" ]
expect $? "empty file: exit 0, one line with meta.not_a_report" "exit $rc" "$problems" \
  "$(stderr_text)"

# ---- over the size limit: 20 MB against the default 16 MiB; a small --max-bytes.
head -c $((20 * 1000 * 1000)) /dev/zero >"$tmp/huge.html"
run "$tmp/huge.html"
[ "$rc" -ne 0 ] && grep -qF "huge.html" "$err" && grep -qiE "limit|max-bytes" "$err" &&
  [ "$(lines "$out")" -eq 0 ]
expect $? "20 MB file: non-zero exit, stderr names it and the size limit" "exit $rc" \
  "$(stderr_text)"
run --max-bytes 100 "$seed"
[ "$rc" -ne 0 ] && grep -qiE "limit|max-bytes" "$err"
expect $? "--max-bytes 100: a seed is refused for its size" "exit $rc" "$(stderr_text)"
run --max-bytes $((1 << 20)) "$seed"
[ "$rc" -eq 0 ] && [ "$(lines "$out")" -eq 1 ]
expect $? "--max-bytes 1 MiB: a seed is read" "exit $rc" "$(stderr_text)"

# ---- no files: non-zero with usage.
run
[ "$rc" -ne 0 ] && [ "$(lines "$out")" -eq 0 ] && grep -qi "usage" "$err"
expect $? "no files: non-zero exit with usage on stderr" "exit $rc" "$(stderr_text)"

# ---- every fixture (seeds, html, documents, ...) is read: one line each. The hostile documents
# (a ZIP bomb, deep or entity-laden XML, encrypted or truncated files) are lines too, with
# meta.unreadable_document or structure.image_only, and make the exit status 1.
hostile='/documents/(bomb|deep|entities|encrypted|truncated)[^/]*$'
mapfile -t all < <(find "$fixtures" -type f | grep -vE "$hostile" | sort)
run "${all[@]}"
n=$(lines "$out")
problems=$(check shape "$out")
[ "$rc" -eq 0 ] && [ "$n" -eq "${#all[@]}" ] && [ -z "$problems" ]
expect $? "all ${#all[@]} readable fixtures: exit 0, one {report, findings} line each" \
  "exit $rc, $n lines" "$problems" "$(stderr_text)"
mapfile -t bad < <(find "$fixtures" -type f | grep -E "$hostile" | sort)
run "${bad[@]}"
n=$(lines "$out")
# Each says what it is: unreadable (and why), or read within the bounds and found to hold no
# text where the tables should be (a bomb cut at the limit, entities left unexpanded).
said=$(grep -cE '"(meta\.unreadable_document|structure\.image_only)"' "$out")
unreadable=$(grep -c '"meta.unreadable_document"' "$out")
[ "${#bad[@]}" -ge 5 ] && [ "$rc" -eq 1 ] && [ "$n" -eq "${#bad[@]}" ] && [ "$said" -eq "$n" ] &&
  [ "$unreadable" -ge 4 ]
expect $? "${#bad[@]} hostile documents: exit 1, one line each, unreadable or image_only" \
  "exit $rc, $n lines, $said said, $unreadable unreadable" "$(stderr_text)"

finish
