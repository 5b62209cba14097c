#!/usr/bin/env bash
# Regenerates scenarios/NAME.expected (tests/tools/expected.sh) from runs of
# PGROUP: after a change of behaviour, run it, and review the diff of the
# .expected files with the change (like SimGrid's tesh or etcd's datadriven
# tests' --rewrite).
#
#   tests/tools/rewrite_expected.sh PGROUP [SCENARIO...]
#
# Default: every scenarios/*.scn. JOBS=2 (the default) runs two at a time.
# Prints each file it changed and a count; `git diff scenarios/` shows how.
set -euo pipefail
[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: $0 PGROUP [SCENARIO...]" >&2; exit 2; }
pgroup=$(readlink -f "$1")
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 0 ] && set -- "$top"/scenarios/*.scn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
one() {
  local scn=$1 name dir rc
  name=$(basename "$scn" .scn)
  dir="$tmp/$name"
  mkdir -p "$dir"
  rc=0
  (cd "$dir" && "$pgroup" run "$scn" --brief --trace "$dir/t.jsonl" >"$dir/run.txt" 2>&1) || rc=$?
  "$tools/expected.sh" "$dir/run.txt" "$dir/t.jsonl" "$rc" >"$dir/expected"
  if ! cmp -s "$dir/expected" "${scn%.scn}.expected"; then
    cp "$dir/expected" "${scn%.scn}.expected"
    echo "rewrote ${scn%.scn}.expected"
  fi
  rm -rf "$dir"
}
export -f one
export tmp pgroup tools="$top/tests/tools"
for scn in "$@"; do readlink -f "$scn"; done | xargs -P "${JOBS:-2}" -I{} bash -c 'one "$1"' _ {} |
  tee "$tmp/log"
echo "$(wc -l <"$tmp/log") of $# .expected files rewritten"
