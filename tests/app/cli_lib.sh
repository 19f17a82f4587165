# What the shell tests of the command line (tests/app/cli_*_test.sh) share: a scratch
# directory removed on exit, the tally of checks and its verdict, and `expect_run`, one run
# of nianbao checked for its exit status and a pattern in one of its streams.
#
# Sourced, not run: set `bin` (the nianbao binary) first; `CLI_GREP` may add grep flags
# (e.g. -i). Needs only bash and coreutils.

tmp=$(mktemp -d)
# chmod first: a test may leave an unreadable file or directory behind.
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

passed=0
failed=0

# pass NAME / fail NAME DETAIL...: one check's verdict; each detail is printed indented.
pass() {
  passed=$((passed + 1))
  echo "ok    $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL  $1"
  shift
  local detail line
  for detail in "$@"; do
    [ -z "$detail" ] && continue
    while IFS= read -r line; do echo "      $line"; done <<<"$detail"
  done
  return 0
}

# expect_run WANT_RC STREAM PATTERN ARGS...: runs `nianbao ARGS...` with stdout and stderr in
# $tmp/stdout and $tmp/stderr; passes when it exits WANT_RC and STREAM (stdout or stderr)
# matches PATTERN (grep -E).
expect_run() {
  local want=$1 stream=$2 pattern=$3
  shift 3
  "$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  # shellcheck disable=SC2086 # CLI_GREP holds flags, split on purpose
  if [ "$rc" -eq "$want" ] && grep -qE ${CLI_GREP:-} -- "$pattern" "$tmp/$stream"; then
    pass "nianbao $* -> $rc"
  else
    fail "nianbao $*: exit $rc (want $want), $stream should match /$pattern/" \
      "stdout: $(head -c 300 "$tmp/stdout")" "stderr: $(head -c 300 "$tmp/stderr")"
  fi
}

# finish: prints the tally; the script's status is 0 only when no check failed.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
