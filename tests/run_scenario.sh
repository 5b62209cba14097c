#!/usr/bin/env bash
# Runs one scenario end to end, then checks its trace offline and requires the
# offline verdict to equal the online one: rules, evidence, verdict and exit
# status; a simulated run (`run` without options) must also match the
# scenario's pinned summary, scenarios/NAME.expected (tests/tools/expected.sh).
# usage: run_scenario.sh PGROUP SCENARIO OUTDIR [COMMAND [OPTION...]]
# COMMAND is `run` (the default: the simulator) or `live` (real processes,
# checked once the run is over), with its options (`live --time-scale 0.5`).
set -uo pipefail
pgroup=$1 scn=$2 out=$3
cmd=${4:-run}
shift $(( $# < 4 ? $# : 4 ))
name=$(basename "$scn" .scn)
mkdir -p "$out"
trace="$out/$name.jsonl"
"$pgroup" "$cmd" "$scn" "$@" --trace "$trace" --brief >"$out/$name.run.txt" 2>&1
rc=$?
cat "$out/$name.run.txt"
if [ $rc -ne 0 ]; then
  echo "FAIL: pgroup $cmd exited $rc"
  exit 1
fi
"$pgroup" check "$trace" >"$out/$name.check.txt" 2>&1
crc=$?
if [ $crc -eq 2 ]; then
  cat "$out/$name.check.txt"; echo "FAIL: pgroup check could not read the trace"; exit 1
fi
# Every rule line, the first violation of each failed rule with its evidence,
# and the verdict line must be identical, and so must the exit status.
# (A run's `bound` lines judge counters of the run, which a trace does not hold.)
bounds='^bounds:$|^  (PASS|FAIL) (datagrams|link_retained_max|pg_retained_max|forwarded|control) '
if ! diff <(sed -n '/^rules:/,/^verdict:/p' "$out/$name.run.txt" | grep -Ev "$bounds") \
          <(sed -n '/^rules:/,/^verdict:/p' "$out/$name.check.txt"); then
  echo "FAIL: pgroup check disagrees with the online verdict (diff above)"
  exit 1
fi
if [ $crc -ne $rc ]; then
  cat "$out/$name.check.txt"; echo "FAIL: pgroup check exited $crc, the run exited $rc"; exit 1
fi
if ! grep -qE '^  (PASS|FAIL) ' "$out/$name.run.txt"; then
  echo "FAIL: no rule verdicts printed"; exit 1
fi
# A simulated run is held to its pinned summary, scenarios/NAME.expected
# (tests/tools/expected.sh): a change of behaviour shows as a diff; after an
# intended one, tests/tools/rewrite_expected.sh PGROUP rewrites the files.
if [ "$cmd" = run ] && [ $# -eq 0 ]; then
  pinned="${scn%.scn}.expected"
  tools=$(cd "$(dirname "$0")/tools" && pwd)
  if [ ! -f "$pinned" ]; then
    echo "FAIL: no pinned summary $pinned (write it: $tools/rewrite_expected.sh $pgroup $scn)"
    exit 1
  fi
  if ! diff -u "$pinned" <("$tools/expected.sh" "$out/$name.run.txt" "$trace" "$rc"); then
    echo "FAIL: the run differs from $pinned (diff above; if intended:" \
      "$tools/rewrite_expected.sh $pgroup $scn, and review the diff)"
    exit 1
  fi
  echo "OK: the run matches $pinned"
fi
echo "OK: online and offline verdicts agree"
