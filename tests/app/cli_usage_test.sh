#!/usr/bin/env bash
# The command line's usage errors: an unknown option or subcommand, a missing or invalid
# argument exits 2 with a message on stderr (not CLI11's own codes 105..109); --help and
# --version exit 0 and print to stdout.
#
# Usage (CTest runs it so): cli_usage_test.sh <path-to-nianbao>
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-nianbao>" >&2
  exit 2
fi
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
# expect WANT_RC STREAM PATTERN ARGS...: runs nianbao ARGS; passes when it exits WANT_RC and
# STREAM (stdout or stderr) matches PATTERN (grep -E, case-insensitive).
expect() {
  local want=$1 stream=$2 pattern=$3
  shift 3
  "$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qiE -- "$pattern" "$tmp/$stream"; then
    passed=$((passed + 1))
    echo "ok    nianbao $* -> $rc"
  else
    failed=$((failed + 1))
    echo "FAIL  nianbao $*: exit $rc (want $want), $stream should match /$pattern/"
    head -c 300 "$tmp/stderr" | sed 's/^/      stderr: /'
  fi
}

expect 2 stderr "subcommand" # none given
expect 2 stderr "subcommand|frobnicate" frobnicate
expect 2 stderr "subcommand|--bogus" --bogus
expect 2 stderr "--config" run                        # required option missing (CLI11: 106)
expect 2 stderr "--config" run --config               # option without its value
expect 2 stderr "--config" check                      # required option missing
expect 2 stderr "--bogus" run --config x.toml --bogus # unknown option (CLI11: 109)
expect 2 stderr "extra|unexpected|x" crawl --sources s.toml x  # stray argument
expect 2 stderr "max-bytes" parse --max-bytes -1 f    # invalid value (CLI11: 105)
expect 2 stderr "linger" run --config x.toml --linger soon
expect 2 stderr "--config" reparse x.warc.gz         # publishing needs the sinks' config
expect 2 stderr "--since" reparse --dry-run --since yesterday x.warc.gz
expect 2 stderr "--source" reparse --dry-run --source host1 x.warc.gz  # needs the state
expect 2 stderr "no archive" reparse --dry-run
expect 0 stdout "usage" --help
expect 0 stdout "usage" run --help
expect 0 stdout "^nianbao [[:alnum:]]" --version
expect 0 stdout "^nianbao [[:alnum:]]" -V

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
