#!/usr/bin/env bash
# `nianbao parse` on documents (README "Using the parser"): a DOCX and a DOC report are read
# like their HTML versions; a document its reader cannot read is printed with the finding
# meta.unreadable_document, named on stderr with its format, and the exit status is 1; a
# document over --max-document-bytes is refused.
#
# Usage (CTest runs it so): cli_parse_documents_test.sh <path-to-nianbao> <tests/fixtures>
set -u
if [ $# -ne 2 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-nianbao> <fixtures-dir>" >&2
  exit 2
fi
bin=$1
docs=$2/documents
source "$(dirname "$0")/cli_lib.sh"
bad() { fail "$1" "exit $rc; stderr: $(head -c 300 "$tmp/err")"; }
run() {
  "$bin" parse "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
# field EXPR: EXPR over the first output line `j` (Python), or "?" when it cannot be read.
field() {
  python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' \
    "$tmp/out" "$1" 2>/dev/null || echo "?"
}
docx_type=application/vnd.openxmlformats-officedocument.wordprocessingml.document

run "$docs/form_2021.docx"
# Read from html/form_2021.html: 三（七）总计 is 15 3 0 1 1 0 20.
if [ "$rc" -eq 0 ] && [ "$(field 'j["report"]["source"]["media_type"]')" = "$docx_type" ] &&
  [ "$(field 'j["report"]["applications"]["total"]')" = "[15, 3, 0, 1, 1, 0, 20]" ]; then
  pass "form_2021.docx: exit 0, read like its HTML version"
else bad "form_2021.docx"; fi

run "$docs/faults_2019.doc"
if [ "$rc" -eq 0 ] && [ "$(field 'j["report"]["source"]["media_type"]')" = "application/msword" ] &&
  [ "$(field 'j["report"]["organization"]')" = "青禾县柳塘镇" ]; then
  pass "faults_2019.doc: exit 0, read like its HTML version"
else bad "faults_2019.doc"; fi

size=$(stat -c %s "$docs/form_2021.docx")
head -c $((size / 2)) "$docs/form_2021.docx" >"$tmp/cut.docx"
run "$tmp/cut.docx" "$docs/faults_2019.doc"
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
  [ "$(field '[f["rule"] for f in j["findings"]]')" = "['meta.unreadable_document']" ] &&
  grep -q "cut.docx" "$tmp/err" && grep -q "DOCX" "$tmp/err"; then
  pass "a truncated DOCX: exit 1, its line says meta.unreadable_document, stderr names it"
else bad "truncated DOCX"; fi

run --max-document-bytes 1000 "$docs/form_2021.doc"
if [ "$rc" -ne 0 ] && grep -qi "limit" "$tmp/err"; then
  pass "--max-document-bytes 1000: a DOC is refused for its size"
else bad "--max-document-bytes"; fi

finish
