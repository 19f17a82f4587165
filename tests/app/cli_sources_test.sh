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
source "$(dirname "$0")/cli_lib.sh"
# main.toml has one source and includes jiangsu/*.toml with two more.
expect_run 0 stdout "^$inc/main.toml: ok: 3 sources$" sources check "$inc/main.toml"
expect_run 1 stderr "^$inc/bad/typo.toml:4: source \"typo\": unknown key \"report_txt\"" \
  sources check "$inc/bad/typo_main.toml"
expect_run 1 stderr "^$inc/cycle/two.toml:2: include: .* includes may not form a cycle$" \
  sources check "$inc/cycle/one.toml"
expect_run 1 stderr "^cannot read $tmp/none.toml: No such file or directory$" \
  sources check "$tmp/none.toml"
expect_run 2 stderr "required|file" sources check
expect_run 2 stderr "no source named \"js-wuxi\"" \
  crawl --once --sources "$inc/main.toml" --state-dir "$tmp/state" --source js-wuxi
expect_run 2 stderr "no source named \"js-wuxi\"" sources test "$inc/main.toml" --source js-wuxi
expect_run 2 stderr "give portal URLs or --csv FILE" discover
expect_run 2 stderr "not an http:// or https:// URL: ftp://x.gov.cn/" discover ftp://x.gov.cn/
printf 'name,portal\n南京市,www.nanjing.gov.cn\n' >"$tmp/units.csv"
expect_run 2 stderr "units.csv:2: expected two columns: name, portal URL" discover --csv "$tmp/units.csv"
# A source with both entry and portal, and one with neither.
printf '[[source]]\nname = "a"\nentry = ["https://a.gov.cn/x/"]\nportal = "https://a.gov.cn/"\n' \
  >"$tmp/both.toml"
expect_run 1 stderr "both.toml:4: source \"a\": portal: give either entry or portal, not both" \
  sources check "$tmp/both.toml"
printf '[[source]]\nname = "a"\nportal = "https://a.gov.cn/"\n' >"$tmp/portal.toml"
expect_run 0 stdout "portal.toml: ok: 1 sources" sources check "$tmp/portal.toml"

finish
