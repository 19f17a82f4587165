#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET (60)] [BUILD_DIR (build-fuzz)]
#   scripts/fuzz.sh 20                       # the short CI variant, about 2 minutes on 2 cores
#   NIANBAO_FUZZ_TARGETS="fuzz_parse" scripts/fuzz.sh 600   # one target, ten minutes
#
# Environment: NIANBAO_FUZZ_TARGETS (space-separated subset of the targets),
# NIANBAO_FUZZ_JOBS (targets run at once; default: the number of cores).
#
# Installs nothing (scripts/install-deps.sh brings clang and libclang-rt-14-dev). Everything
# it writes stays in BUILD_DIR, never in the source tree:
#   BUILD_DIR/seeds/<target>      seeds, regenerated from the fixtures on every run
#   BUILD_DIR/corpus/<target>     the growing corpus, kept between runs
#   BUILD_DIR/artifacts/<target>/ crash-*, leak-*, timeout-*, oom-* inputs of this run
#   BUILD_DIR/logs/<target>.log   libFuzzer's output of this run
# Exits non-zero when any target found a crash, leak, timeout or out-of-memory input.
# Reproduce one with: BUILD_DIR/fuzz/<target> BUILD_DIR/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_TARGET=${1:-60}
BUILD_DIR=${2:-build-fuzz}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
JOBS=${NIANBAO_FUZZ_JOBS:-$(nproc)}
ALL_TARGETS=(fuzz_html_reader fuzz_html_prepass fuzz_text_reader fuzz_charset fuzz_parse fuzz_parse_schema fuzz_sources
  fuzz_robots fuzz_docx fuzz_doc fuzz_pdf fuzz_ofd fuzz_layout)
read -r -a TARGETS <<<"${NIANBAO_FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR]" >&2
  exit 2
fi
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
done
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ missing (scripts/install-deps.sh)" >&2; exit 2; }

# Largest input libFuzzer generates, per target. A report page is 30-150 KB, but under
# ASan + UBSan + coverage a 64 KiB page already takes ~15 ms, so the page targets stop there
# (longer seeds are cut; two of the HTML fixtures are whole reports within it, and every
# nesting and span limit of the HTML reader is reachable in far less); sources files and
# robots.txt are small.
max_len() {
  case "$1" in
    fuzz_html_reader | fuzz_html_prepass | fuzz_parse | fuzz_parse_schema | fuzz_charset | fuzz_text_reader) echo 65536 ;;
    # The document fixtures: DOCX about 10 KB (its document.xml about 180 KB), DOC about 60 KB,
    # PDF and OFD 10-150 KB; the readers' bounds, not the input's size, cap work.
    fuzz_docx | fuzz_pdf | fuzz_ofd) echo 262144 ;;
    fuzz_doc) echo 131072 ;;
    *) echo 16384 ;;
  esac
}
dict() {
  case "$1" in
    fuzz_html_reader | fuzz_html_prepass) echo "$ROOT/fuzz/dicts/html.dict" ;;
    fuzz_parse | fuzz_parse_schema) echo "$ROOT/fuzz/dicts/report.dict" ;;
    fuzz_text_reader) echo "$ROOT/fuzz/dicts/report.dict" ;;
    fuzz_sources) echo "$ROOT/fuzz/dicts/toml.dict" ;;
    fuzz_robots) echo "$ROOT/fuzz/dicts/robots.dict" ;;
    *) echo "" ;;
  esac
}

echo "== build ($BUILD_DIR, clang++, NIANBAO_FUZZ=ON)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNIANBAO_FUZZ=ON -DNIANBAO_BUILD_TESTS=OFF -DNIANBAO_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target "${TARGETS[@]}"

echo "== seeds"
# seed TARGET NAME [PREFIX_BYTE]: one seed from stdin, optionally after a selector byte (the
# targets that read a Content-Type choice from the first byte).
seed() {
  local dir="$BUILD_DIR/seeds/$1" name=$2
  if [ $# -ge 3 ]; then
    { printf "\\x$(printf %02x "$3")"; cat; } >"$dir/$name.$3"
  else
    cat >"$dir/$name"
  fi
}
for t in "${TARGETS[@]}"; do
  rm -rf "$BUILD_DIR/seeds/$t"
  mkdir -p "$BUILD_DIR/seeds/$t" "$BUILD_DIR/corpus/$t"
done
HTML=(tests/fixtures/html/*.html)
TEXT=(tests/fixtures/seeds/*.txt)
TOML=(examples/*.toml tests/crawler/fixtures/*.toml)
for t in "${TARGETS[@]}"; do
  case "$t" in
    fuzz_html_reader | fuzz_html_prepass)
      for f in "${HTML[@]}" "${TEXT[@]}"; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_text_reader)
      for f in "${TEXT[@]}"; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_charset)
      # Selectors (fuzz_charset.cc kContentTypes): 0 none, 2 utf-8, 4 gbk, 8 iso-8859-1,
      # 10 utf-16, 12 utf-16be.
      for f in "${HTML[@]}" "${TEXT[@]}"; do
        for sel in 0 2 4 8; do seed "$t" "$(basename "$f")" "$sel" <"$f"; done
      done
      for f in "${TEXT[@]}"; do
        iconv -f UTF-8 -t GB18030 "$f" | seed "$t" "$(basename "$f").gb18030" 0
        iconv -f UTF-8 -t BIG5-HKSCS -c "$f" | seed "$t" "$(basename "$f").big5" 0
        iconv -f UTF-8 -t UTF-16LE "$f" | seed "$t" "$(basename "$f").utf16le" 10
        iconv -f UTF-8 -t UTF-16BE "$f" | seed "$t" "$(basename "$f").utf16be" 12
      done ;;
    fuzz_parse | fuzz_parse_schema)
      # Selectors (fuzz_parse.cc kContentTypes; +8 adds a URL): 0 html utf-8, 2 text utf-8,
      # 12 none with URL, 5 html gbk, 6 text gb18030.
      for f in "${HTML[@]}"; do
        for sel in 0 12; do seed "$t" "$(basename "$f")" "$sel" <"$f"; done
      done
      for f in "${TEXT[@]}"; do
        for sel in 2 12; do seed "$t" "$(basename "$f")" "$sel" <"$f"; done
        iconv -f UTF-8 -t GB18030 "$f" | seed "$t" "$(basename "$f").gb18030" 6
      done
      seed "$t" gbk_meta.html 5 <tests/fixtures/html/gbk_meta.html ;;
    fuzz_sources)
      for f in "${TOML[@]}"; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_robots)
      for f in fuzz/corpus/robots/*; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_docx)
      # Selector 0: the whole DOCX; 1: its word/document.xml alone (fuzz_docx.cc).
      for f in tests/fixtures/documents/*.docx; do
        seed "$t" "$(basename "$f")" 0 <"$f"
        python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("word/document.xml"))' \
          "$f" | seed "$t" "$(basename "$f").xml" 1
      done ;;
    fuzz_doc)
      for f in tests/fixtures/documents/*.doc tests/fixtures/documents/*.wps; do
        seed "$t" "$(basename "$f")" <"$f"
      done ;;
    fuzz_pdf)
      for f in tests/fixtures/documents/*.pdf; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_ofd)
      for f in tests/fixtures/documents/*.ofd; do seed "$t" "$(basename "$f")" <"$f"; done ;;
    fuzz_layout)
      # No seeds of its own: any 10 bytes are a run; libFuzzer starts from nothing.
      printf '\x00\x0c\x80\x19\x00\x50\x60\x50\x00\x00' | seed "$t" one_run ;;
  esac
done

echo "== fuzzing: ${#TARGETS[@]} targets x ${SECONDS_PER_TARGET}s, $JOBS at a time"
run_target() {
  local t=$1 d
  d=$(dict "$t")
  rm -rf "$BUILD_DIR/artifacts/$t"
  mkdir -p "$BUILD_DIR/artifacts/$t" "$BUILD_DIR/logs"
  # The first corpus directory receives new inputs; the seeds directory is only read.
  # tests/lsan.supp: leaks inside system libraries (fontconfig under poppler), documented there.
  LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
  "$BUILD_DIR/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$(max_len "$t")" -print_final_stats=1 ${d:+-dict="$d"} \
    -artifact_prefix="$BUILD_DIR/artifacts/$t/" \
    "$BUILD_DIR/corpus/$t" "$BUILD_DIR/seeds/$t" >"$BUILD_DIR/logs/$t.log" 2>&1
}
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  echo "   start $t"
  run_target "$t" &
done
wait || true

replay_failed=0
if [[ " ${TARGETS[*]} " == *" fuzz_parse "* && " ${TARGETS[*]} " == *" fuzz_parse_schema "* ]]; then
  # fuzz_parse runs ~10x faster and so reaches further; its corpus is replayed through the
  # output-contract target, which checks the JSON of each input against schemas/.
  echo "== replaying fuzz_parse's corpus through fuzz_parse_schema"
  mkdir -p "$BUILD_DIR/artifacts/replay"
  if ! "$BUILD_DIR/fuzz/fuzz_parse_schema" -runs=0 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD_DIR/artifacts/replay/" "$BUILD_DIR/corpus/fuzz_parse" \
    >"$BUILD_DIR/logs/replay.log" 2>&1; then
    echo "   FAILED, see $BUILD_DIR/logs/replay.log"
    replay_failed=1
  fi
fi

echo "== results"
failed=0
printf '%-18s %12s %9s %8s %8s %8s  %s\n' target executions exec/s cov ft corpus result
for t in "${TARGETS[@]}"; do
  log="$BUILD_DIR/logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  status=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
  corpus=$(find "$BUILD_DIR/corpus/$t" -type f | wc -l)
  mapfile -t found < <(find "$BUILD_DIR/artifacts/$t" -type f | sort)
  result=ok
  if [ ${#found[@]} -gt 0 ]; then
    result="FOUND ${found[*]}"
    failed=1
  elif ! grep -q '^stat::number_of_executed_units' "$log"; then
    result="FAILED to run, see $log"
    failed=1
  fi
  printf '%-18s %12s %9s %8s %8s %8s  %s\n' "$t" "${execs:--}" "${speed:--}" "${cov:--}" \
    "${ft:--}" "$corpus" "$result"
done
[ "$replay_failed" -eq 0 ] || failed=1
if [ "$failed" -ne 0 ]; then
  echo "== fuzzing found problems: logs in $BUILD_DIR/logs, inputs listed above"
  exit 1
fi
echo "== fuzzing found nothing"
