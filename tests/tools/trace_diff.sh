#!/usr/bin/env bash
# Refactoring oracle: runs every scenario with two pgroup binaries (same seed)
# and compares the traces byte for byte.
#   tests/tools/trace_diff.sh OLD_PGROUP NEW_PGROUP [SCENARIO...]
# Default scenarios: scenarios/*.scn and scenarios/regress/*.scn. Prints one
# line per scenario (same / DIFFERENT, with the first differing line) and
# exits 1 if any trace differs. SEEDS="1 2 3" runs each scenario at those
# seeds instead of its own.
set -u
old=$1 new=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -eq 0 ]; then
  set -- "$top"/scenarios/*.scn
  [ -d "$top/scenarios/regress" ] && set -- "$@" "$top"/scenarios/regress/*.scn
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
differ=0
for scn in "$@"; do
  name=$(basename "$scn" .scn)
  for seed in ${SEEDS:-own}; do
    args=()
    [ "$seed" != own ] && args=(--seed "$seed")
    "$old" run "$scn" --brief "${args[@]}" --trace "$tmp/old.jsonl" >/dev/null 2>&1
    "$new" run "$scn" --brief "${args[@]}" --trace "$tmp/new.jsonl" >/dev/null 2>&1
    if cmp -s "$tmp/old.jsonl" "$tmp/new.jsonl"; then
      printf 'same       %s (seed %s)\n' "$name" "$seed"
    else
      differ=1
      line=$(cmp "$tmp/old.jsonl" "$tmp/new.jsonl" 2>&1 | sed -n 's/.*line \([0-9]*\).*/\1/p')
      printf 'DIFFERENT  %s (seed %s) from line %s\n' "$name" "$seed" "${line:-?}"
    fi
  done
done
exit $differ
