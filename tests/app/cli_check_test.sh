#!/usr/bin/env bash
# `nianbao check --config FILE`: a valid configuration exits 0 with a one-line summary and
# starts nothing (no state directory appears); the first mistake, in the config or in the
# sources file, exits 2 with "FILE:LINE: message" on stderr, with the near-miss hint.
#
# Usage (CTest runs it so): cli_check_test.sh <path-to-nianbao>
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-nianbao>" >&2
  exit 2
fi
bin=$1
source "$(dirname "$0")/cli_lib.sh"
# expect WANT_RC STREAM PATTERN CONFIG: `nianbao check --config CONFIG` exits WANT_RC and
# STREAM (stdout or stderr) matches PATTERN (grep -E).
expect() { expect_run "$1" "$2" "$3" check --config "$4"; }

cat >"$tmp/sources.toml" <<TOML
[global]
state_dir = "$tmp/state"

[[source]]
name = "one"
entry = ["http://127.0.0.1:1/list/"]

[[source]]
name = "two"
entry = ["http://127.0.0.1:1/other/"]
TOML

cat >"$tmp/good.toml" <<'TOML'
sources = "sources.toml"
[kafka]
enabled = false
[file]
enabled = true
[metrics]
listen = "127.0.0.1:0"
TOML
expect 0 stdout "good.toml: ok: 2 sources in .*sources.toml, sinks: file, metrics: 127.0.0.1:0" \
  "$tmp/good.toml"
if [ -e "$tmp/state" ]; then
  failed=$((failed + 1))
  echo "FAIL  check created the state directory"
fi

# A near miss in the daemon's config, on line 4.
cat >"$tmp/typo.toml" <<'TOML'
sources = "sources.toml"
[kafka]
enabled = false
[files]
enabled = true
TOML
expect 2 stderr "^$tmp/typo.toml:4: unknown table \[files\] \(did you mean \[file\]\?\)$" \
  "$tmp/typo.toml"

cat >"$tmp/key.toml" <<'TOML'
sources = "sources.toml"
[stdout]
enabled = true
[metrics]
allow_nonloopback = true
TOML
expect 2 stderr \
  "^$tmp/key.toml:5: \[metrics\] unknown key \"allow_nonloopback\" \(did you mean \"allow_non_loopback\"\?\)$" \
  "$tmp/key.toml"

# A mistake in the sources file is reported with the sources file's name and line.
cat >"$tmp/bad-sources.toml" <<'TOML'
[[source]]
name = "one"
entry = ["http://127.0.0.1:1/list/"]
intervall = "1h"
TOML
cat >"$tmp/uses-bad.toml" <<'TOML'
sources = "bad-sources.toml"
[stdout]
enabled = true
TOML
expect 2 stderr "^$tmp/bad-sources.toml:4: .*intervall.*did you mean \"interval\"" "$tmp/uses-bad.toml"

# No such file.
expect 2 stderr "missing.toml" "$tmp/missing.toml"

finish
