#!/usr/bin/env bash
# Runs the bad-input corpus (tests/badinput/cases): every case must exit with
# its status and print its first line of stderr (see the head of `cases`).
# usage: run.sh PGROUP SOURCE_DIR OUTDIR [asan]
# With `asan`, the `check` cases run without the address-space limit that
# otherwise proves the trace reader's memory bounded (ASan reserves terabytes).
set -uo pipefail
pgroup=$(realpath "$1") src=$(realpath "$2") out=$3 asan=${4:-}
dir="$src/tests/badinput"
rm -rf "$out"
mkdir -p "$out"
OUT=$(cd "$out" && pwd)

# Generated inputs, too large to keep in the repository.
{ echo '{"trace":"pgroup","version":1,"scenario":"big","seed":1,"end":1}'
  printf '{"t":0,"ev":"start","node":"'; head -c 20000000 /dev/zero | tr '\0' n; echo '"}'
} >"$OUT/name-20mb.jsonl"
long_line() { # a `sometimes` event of exactly $1 bytes (without its newline)
  local head='{"t":0,"ev":"sometimes","node":"p1","detail":"' tail='"}'
  printf '%s' "$head"; head -c $(($1 - ${#head} - ${#tail})) /dev/zero | tr '\0' x; echo "$tail"
}
for n in 1048576 1048577; do
  { echo '{"trace":"pgroup","version":1,"scenario":"big","seed":1,"end":1}'
    echo '{"t":0,"ev":"start","node":"p1"}'
    long_line $n; } >"$OUT/line-$n.jsonl"
done
mv "$OUT/line-1048576.jsonl" "$OUT/line-1mib.jsonl"
# line 2 of this one is the long line: drop the start event
sed -i 2d "$OUT/line-1048577.jsonl" && mv "$OUT/line-1048577.jsonl" "$OUT/line-1mib-plus-1.jsonl"

# Sweep outputs that cannot be written: a plot and the report go to /dev/full.
mkdir -p "$OUT/sweep-svg-full" "$OUT/sweep-report-full"
ln -s /dev/full "$OUT/sweep-svg-full/latency_mean_vs_n.svg"
ln -s /dev/full "$OUT/sweep-report-full/report.md"

fails=0 n=0
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
while IFS= read -r line; do
  case $line in '' | '#'*) continue ;; esac
  want_rc=$(trim "${line%%|*}")
  rest=${line#*|}
  args=$(trim "${rest%%|*}")
  want=$(trim "${rest#*|}")
  want=${want//\$OUT/$OUT}
  n=$((n + 1))
  limit=""
  [ -z "$asan" ] && [ "${args%% *}" = check ] && limit="ulimit -v 400000;" # 400 MB
  (cd "$dir" && eval "$limit timeout 120 \"\$pgroup\" $args") >"$OUT/case.out" 2>"$OUT/case.err"
  rc=$?
  # ASan warns once about SimGrid's context switches; that is not pgroup's message
  sed -i -E '/^==[0-9]+==WARNING: ASan is ignoring requested __asan_handle_no_return/d;
    /^False positive error reports may follow$/d;
    /^For details see https:\/\/github.com\/google\/sanitizers\/issues\/189$/d' "$OUT/case.err"
  which=first
  if [ "${want#last:}" != "$want" ]; then which=last; want=${want#last:}; fi
  if [ $which = last ]; then got=$(tail -n 1 "$OUT/case.err"); else got=$(head -n 1 "$OUT/case.err"); fi
  ok=1
  [ "$rc" = "$want_rc" ] || ok=0
  if [[ $want == *'*'* ]]; then [[ $got == $want ]] || ok=0; else [ "$got" = "$want" ] || ok=0; fi
  if [ $ok = 1 ]; then
    echo "ok: pgroup $args (exit $rc)"
  else
    echo "FAIL: pgroup $args"
    echo "  want: exit $want_rc, $which line of stderr: $want"
    echo "  got:  exit $rc, $which line of stderr: $got"
    fails=$((fails + 1))
  fi
done <"$dir/cases"
echo "$n cases, $fails failed"
[ $fails -eq 0 ]
