#!/usr/bin/env bash
# The refactoring oracle ("byte-identical traces", docs/GUIDE): runs every
# scenario with two pgroup binaries at the same seeds and compares the traces
# byte for byte, and the exit statuses of the runs.
#
#   tests/tools/trace_diff.sh OLD_PGROUP NEW_PGROUP [SCENARIO...]
#
# Default scenarios: every scenarios/*.scn (and scenarios/regress/*.scn if it
# exists). SEEDS="own 1 2" (the default) runs each scenario at its own seed
# and at seeds 1 and 2; JOBS=2 (the default) runs that many at once (the
# machine is shared: use nice). Prints one line per scenario and seed
# (same / DIFFERENT from line N / STATUS old X new Y), then
#   PASS: N of N traces byte-identical (S scenarios x K seeds)
# or
#   FAIL: D of N traces differ
# and exits 0 on PASS, 1 on FAIL, 2 on a usage error.
#
# The old binary's traces are kept in ${TMPDIR:-/tmp}/trace_diff-cache/SHA/
# (SHA: the old binary's sha256 and the scenario's) so that a second run
# against the same reference only runs the new binary. CACHE=0 turns it off.
set -u
if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: $0 OLD_PGROUP NEW_PGROUP [SCENARIO...] (both executables)" >&2
  exit 2
fi
old=$(readlink -f "$1") new=$(readlink -f "$2")
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -eq 0 ]; then
  set -- "$top"/scenarios/*.scn
  [ -d "$top/scenarios/regress" ] && set -- "$@" "$top"/scenarios/regress/*.scn
fi
seeds=${SEEDS:-own 1 2}
jobs=${JOBS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache_root=${TMPDIR:-/tmp}/trace_diff-cache
old_sum=$(sha256sum "$old" | cut -c1-16)

# One pair of runs: writes its verdict line to $tmp/res/INDEX.
one() {
  local idx=$1 scn=$2 seed=$3 name args=() dir key
  name=$(basename "$scn" .scn)
  [ "$seed" != own ] && args=(--seed "$seed")
  dir="$tmp/run/$idx"
  mkdir -p "$dir"
  key="$cache_root/$old_sum/$(cat "$scn" | sha256sum | cut -c1-16)-$seed"
  if [ "${CACHE:-1}" != 0 ] && [ -f "$key.rc" ]; then
    cp "$key.jsonl" "$dir/old.jsonl"
    orc=$(cat "$key.rc")
  else
    (cd "$dir" && "$old" run "$scn" --brief "${args[@]}" --trace "$dir/old.jsonl" >/dev/null 2>&1)
    orc=$?
    [ -f "$dir/old.jsonl" ] || : >"$dir/old.jsonl"
    if [ "${CACHE:-1}" != 0 ]; then
      mkdir -p "$(dirname "$key")"
      cp "$dir/old.jsonl" "$key.jsonl.$$" && mv "$key.jsonl.$$" "$key.jsonl"
      echo "$orc" >"$key.rc"
    fi
  fi
  (cd "$dir" && "$new" run "$scn" --brief "${args[@]}" --trace "$dir/new.jsonl" >/dev/null 2>&1)
  nrc=$?
  [ -f "$dir/new.jsonl" ] || : >"$dir/new.jsonl"
  if [ "$orc" != "$nrc" ]; then
    printf 'STATUS     %s (seed %s): exit old %s new %s\n' "$name" "$seed" "$orc" "$nrc"
  elif cmp -s "$dir/old.jsonl" "$dir/new.jsonl"; then
    printf 'same       %s (seed %s)\n' "$name" "$seed"
  else
    line=$(cmp "$dir/old.jsonl" "$dir/new.jsonl" 2>&1 | sed -n 's/.*line \([0-9]*\).*/\1/p')
    printf 'DIFFERENT  %s (seed %s) from line %s\n' "$name" "$seed" "${line:-?}"
  fi >"$tmp/res/$idx"
  rm -rf "$dir"
}
export -f one
export tmp old new old_sum cache_root

mkdir -p "$tmp/res" "$tmp/run"
idx=0
for scn in "$@"; do
  [ -f "$scn" ] || { echo "no such scenario: $scn" >&2; exit 2; }
  for seed in $seeds; do
    idx=$((idx + 1))
    printf '%05d\t%s\t%s\n' "$idx" "$(readlink -f "$scn")" "$seed"
  done
done >"$tmp/jobs"
xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1" "$2"' <"$tmp/jobs"
cat "$tmp"/res/*
total=$(wc -l <"$tmp/jobs")
done_=$(cat "$tmp"/res/* | wc -l)
bad=$(cat "$tmp"/res/* | grep -vc '^same')
n_seeds=$(echo $seeds | wc -w)
if [ "$bad" -eq 0 ] && [ "$done_" -eq "$total" ]; then
  echo "PASS: $total of $total traces byte-identical ($# scenarios x $n_seeds seeds: $seeds)"
  exit 0
fi
echo "FAIL: $bad of $total traces differ ($((total - done_)) not run)"
exit 1
