#!/usr/bin/env bash
# Instructions per call of the parser's benchmarks, counted by valgrind's callgrind: exact and
# repeatable, so a change's effect can be measured on a machine busy with other work (times
# cannot). Each repetition of a parser_bench benchmark calls the function twice (once to
# measure its heap, once timed), so the count of one call is the difference between 5 and 1
# repetitions over the 8 extra calls, and one-time set-up (the static regexes compiled at the
# first call) cancels out. Callgrind's CPU lacks SHA and AVX extensions: OpenSSL's SHA-256 runs its plain code
# there, so the counts overstate that part against a real CPU (BENCHMARKS.md, "Instructions").
#
#   scripts/bench-instructions.sh BEFORE/parser_bench [AFTER/parser_bench] [INPUT...]
#   scripts/bench-instructions.sh build/bench/parser_bench '' seed/000 html/form_2021
#
# Prints a Markdown table: per input, nianbao's Parse (BEFORE, AFTER and AFTER/BEFORE) and
# Gumbo's gumbo_parse of the same bytes.
set -euo pipefail
before=${1:?usage: bench-instructions.sh BEFORE/parser_bench [AFTER/parser_bench] [INPUT...]}
after=${2:-}
shift $(($# < 2 ? $# : 2))
inputs=("$@")
[ ${#inputs[@]} -gt 0 ] || inputs=(seed/000 seed/001 seed/002 seed/003 seed/004 html/form_2021
  html/faults_2019 html/gbk_nometa)
command -v valgrind >/dev/null || { echo "valgrind is missing: scripts/install-deps.sh --bench" >&2; exit 2; }

per_call() {  # BIN BENCHMARK FUNCTION
  local out a b
  out=$(mktemp)
  for reps in 1 5; do
    # The portal pages' benchmarks carry a suffix (/real_time/threads:1, and :2 left out).
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$3" "$1" \
      --benchmark_filter="^$2(/real_time/threads:1)?\$" --benchmark_min_time=0.000001 \
      --benchmark_repetitions=$reps >/dev/null 2>"$out"
    grep -o "Collected : [0-9]*" "$out" | awk '{print $3}'
  done | { read -r a; read -r b; echo $(((b - a) / 8)); }
  rm -f "$out"
}

echo "| input | nianbao Parse, before | after | after / before | Gumbo parse | after / Gumbo |"
echo "|---|---|---|---|---|---|"
for in in "${inputs[@]}"; do
  a=$(per_call "$before" "nianbao_parse/$in" 'nianbao::parser::Parse(*')
  g=$(per_call "$before" "gumbo_parse/$in" 'gumbo_parse_with_options')
  if [ -n "$after" ]; then
    b=$(per_call "$after" "nianbao_parse/$in" 'nianbao::parser::Parse(*')
  else
    b=$a
  fi
  awk -v name="$in" -v a="$a" -v b="$b" -v g="$g" 'BEGIN {
    printf "| %s | %.2fM | %.2fM | %.2f | %.2fM | %.2f |\n", name, a / 1e6, b / 1e6,
      (a > 0 ? b / a : 0), g / 1e6, (g > 0 ? b / g : 0) }'
done
