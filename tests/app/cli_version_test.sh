#!/usr/bin/env bash
# `nianbao --version` and `-V`: exit 0, the same text on stdout; the first line is
# "nianbao <git describe --tags --always --dirty of the source tree>" (the version of
# CMakeLists.txt's project() outside a git checkout), the second the parser's revision as
# parser/version.h defines it, then one line per main library.
#
# The build takes the describe string when it builds, so a tree edited after the build (and
# before this test) reads "-dirty" here and not in the binary: rebuild, then test.
#
# Usage (CTest runs it so): cli_version_test.sh <path-to-nianbao> <source tree>
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
  echo "usage: $0 <path-to-nianbao> <source tree>" >&2
  exit 2
fi
bin=$1
src=$2
source "$(dirname "$0")/cli_lib.sh"
# check STATUS WHAT [DETAIL]: passes WHAT when STATUS is 0.
check() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2" "${3:-}"; fi; }

"$bin" --version >"$tmp/long" 2>"$tmp/long.err"
check $? "nianbao --version exits 0" "$(cat "$tmp/long.err")"
"$bin" -V >"$tmp/short" 2>"$tmp/short.err"
check $? "nianbao -V exits 0" "$(cat "$tmp/short.err")"
cmp -s "$tmp/long" "$tmp/short"
check $? "-V prints what --version prints"

# The expected version, worked out here from the source tree, not by the build.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1 && [ -e "$src/.git" ]; then
  want=$(git -C "$src" describe --tags --always --dirty)
  how="git describe"
else
  want=$(sed -nE 's/^project\(nianbao VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
  how="the project version (not a git checkout)"
fi
first=$(head -n 1 "$tmp/long")
[ "$first" = "nianbao $want" ]
check $? "first line is 'nianbao $want' ($how)" "got: $first"

revision=$(sed -nE 's/.*kParserRevision = ([0-9]+);.*/\1/p' "$src/parser/version.h")
second=$(sed -n 2p "$tmp/long")
[[ "$second" =~ ^"parser revision $revision (parser_version "[0-9.]+"+parser.$revision)"$ ]]
check $? "second line names parser revision $revision" "got: $second"

for lib in libcurl librdkafka poppler-cpp SQLite OpenSSL Gumbo Boost spdlog; do
  grep -qE "^$lib .*[0-9]+\.[0-9]+" "$tmp/long"
  check $? "a version of $lib" "$(cat "$tmp/long")"
done

finish
