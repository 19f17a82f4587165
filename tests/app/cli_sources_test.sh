#!/usr/bin/env bash
# `nianbao sources check FILE`: a valid file (with its includes) exits 0 with "FILE: ok: N
# sources"; the first mistake exits 1 with "FILE:LINE: message"; a usage error exits 2.
# `crawl --source NAME` and `sources test --source NAME` refuse a name the file lacks (2);
# `discover` without a portal, or with a URL that is not http(s), is a usage error (2).
# Nothing here touches the network.
#
# Usage (CTest runs it so): cli_sources_test.sh <path-to-nianbao> <fixtures-dir>
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-nianbao> <fixtures-dir>" >&2
  exit 2
fi
bin=$1
inc=$2/include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
# expect WANT_RC STREAM PATTERN ARGS...: runs nianbao ARGS; passes when it exits WANT_RC and
# STREAM (stdout or stderr) matches PATTERN (grep -E).
expect() {
  local want=$1 stream=$2 pattern=$3
  shift 3
  "$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" "$tmp/$stream"; then
    passed=$((passed + 1))
    echo "ok    $* -> $rc"
  else
    failed=$((failed + 1))
    echo "FAIL  $*: exit $rc (want $want), $stream should match /$pattern/"
    head -c 300 "$tmp/stdout" | sed 's/^/      stdout: /'
    head -c 300 "$tmp/stderr" | sed 's/^/      stderr: /'
  fi
}

# main.toml has one source and includes jiangsu/*.toml with two more.
expect 0 stdout "^$inc/main.toml: ok: 3 sources$" sources check "$inc/main.toml"
expect 1 stderr "^$inc/bad/typo.toml:4: source \"typo\": unknown key \"report_txt\"" \
  sources check "$inc/bad/typo_main.toml"
expect 1 stderr "^$inc/cycle/two.toml:2: include: .* includes may not form a cycle$" \
  sources check "$inc/cycle/one.toml"
expect 1 stderr "^cannot read $tmp/none.toml: No such file or directory$" \
  sources check "$tmp/none.toml"
expect 2 stderr "required|file" sources check
expect 2 stderr "no source named \"js-wuxi\"" \
  crawl --once --sources "$inc/main.toml" --state-dir "$tmp/state" --source js-wuxi
expect 2 stderr "no source named \"js-wuxi\"" sources test "$inc/main.toml" --source js-wuxi
expect 2 stderr "give portal URLs or --csv FILE" discover
expect 2 stderr "not an http:// or https:// URL: ftp://x.gov.cn/" discover ftp://x.gov.cn/
printf 'name,portal\n南京市,www.nanjing.gov.cn\n' >"$tmp/units.csv"
expect 2 stderr "units.csv:2: expected two columns: name, portal URL" discover --csv "$tmp/units.csv"
# A source with both entry and portal, and one with neither.
printf '[[source]]\nname = "a"\nentry = ["https://a.gov.cn/x/"]\nportal = "https://a.gov.cn/"\n' \
  >"$tmp/both.toml"
expect 1 stderr "both.toml:4: source \"a\": portal: give either entry or portal, not both" \
  sources check "$tmp/both.toml"
printf '[[source]]\nname = "a"\nportal = "https://a.gov.cn/"\n' >"$tmp/portal.toml"
expect 0 stdout "portal.toml: ok: 1 sources" sources check "$tmp/portal.toml"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
