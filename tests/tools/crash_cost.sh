#!/usr/bin/env bash
# crash_cost.sh PGROUP SCENARIO [SEEDS]: the CPU time of each seed of SCENARIO
# against the same run without its crash lines (issue 10, bug 3: no seed may
# cost more than 5x the run without the crash). CPU time (user+sys) rather
# than wall time, so that a busy machine does not move the figure. A
# benchmark, not a test: it prints the ratios and the worst one.
set -euo pipefail
pg=${1:?usage: crash_cost.sh PGROUP SCENARIO [SEEDS]}
scn=${2:?usage: crash_cost.sh PGROUP SCENARIO [SEEDS]}
seeds=${3:-1..30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v -E '^(at .* crash |bound )' "$scn" >"$tmp/nocrash.scn"
cpu() { /usr/bin/time -f '%U %S' -o "$tmp/t" "$pg" run "$1" --seed "$2" --brief >/dev/null 2>&1 || true
  tail -n 1 "$tmp/t" | awk '{printf "%.3f", $1 + $2}'; }
worst=0
printf 'seed  crash_s  nocrash_s  ratio\n'
for s in $(seq "${seeds%..*}" "${seeds#*..}"); do
  a=$(cpu "$scn" "$s"); b=$(cpu "$tmp/nocrash.scn" "$s")
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b < 0.001) b = 0.001; printf "%.2f", a / b }')
  printf '%4d  %7s  %9s  %5s\n' "$s" "$a" "$b" "$r"
  worst=$(awk -v w="$worst" -v r="$r" 'BEGIN { print (r > w) ? r : w }')
done
printf 'worst ratio %s (bound 5)\n' "$worst"
