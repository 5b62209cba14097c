#!/usr/bin/env bash
# A scenario across hosts, on this machine: `pgroup node` runs each process of
# quickstart on its own 127.0.0.1 port (the peers file); `pgroup merge` merges
# their traces by Lamport clock and judges it. p3 is given a --start 0.25 s
# later than the others, as if its clock were 0.25 s behind theirs: its `t`
# lag, and only the Lamport clocks put its deliveries after their sends.
# usage: live_hosts.sh PGROUP SOURCE_DIR OUTDIR
set -uo pipefail
pgroup=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
cd "$out" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
scn=$src/scenarios/quickstart.scn
procs="p1 p2 p3 p4 p5"
run_hosts() { # one attempt on a random base port; 0 when every node ran to the end
  local base=$((20000 + RANDOM % 30000)) i=0
  : >peers.txt
  for p in $procs; do i=$((i + 1)); echo "$p 127.0.0.1:$((base + i))" >>peers.txt; done
  local start=$(( $(date +%s) + 2 )) pids=() rc=0
  for p in $procs; do
    local at=$start
    [ "$p" = p3 ] && at=$start.25
    "$pgroup" node --id "$p" --peers peers.txt --scenario "$scn" --start "$at" \
      --time-scale 0.5 --trace "$p.jsonl" >"$p.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}
run_hosts || { grep -l "cannot bind" ./*.out >/dev/null && run_hosts; } ||
  { tail -n 5 ./*.out; fail "a node did not run to the end"; }
grep -q '^summary: node p3 ran 10.000 s of scenario quickstart' p3.out || fail "no node summary"
for p in $procs; do
  head -1 "$p.jsonl" | grep -q '"scenario":"quickstart"' || fail "$p.jsonl has no header"
  n=$(tail -n +2 "$p.jsonl" | grep -vc '"lamport":') || true
  [ "$n" -eq 0 ] || fail "$p.jsonl: $n events without a Lamport clock"
done
grep -q '"ev":"crash","node":"p5"' p5.jsonl || fail "p5 did not write its crash (node mode)"
grep -q '"ev":"fault"' p1.jsonl || fail "p1 (the scenario's first process) wrote no fault event"
! grep -q '"ev":"fault"' p2.jsonl || fail "p2 wrote fault events"
"$pgroup" merge p1.jsonl p2.jsonl p3.jsonl p4.jsonl p5.jsonl --out merged.jsonl >merge.txt 2>&1
rc=$?
cat merge.txt
[ $rc -eq 0 ] || fail "pgroup merge exited $rc"
grep -q '^verdict: PASS (every rule holds)' merge.txt || fail "the merged trace does not pass"
grep -q 't raised on [1-9][0-9]* lines' merge.txt || fail "p3's clock lags, yet no t was raised"
events=$(( $(cat p?.jsonl | wc -l) - 5 ))
[ "$(tail -n +2 merged.jsonl | wc -l)" -eq "$events" ] || fail "the merge lost or added events"
"$pgroup" check merged.jsonl >check.txt 2>&1 || { cat check.txt; fail "pgroup check disagrees"; }
# Each host's order is kept in the merged trace: its Lamport clocks, in the
# order its events appear there, are those of its own trace.
lamports() { sed -n 's/.*"lamport":\([0-9]*\).*"node":"\('"$1"'\)[#"].*/\1/p'; }
for p in $procs; do
  cmp -s <(tail -n +2 "$p.jsonl" | grep -v '"ev":"fault"' | lamports "$p") \
    <(grep -v '"ev":"fault"' merged.jsonl | lamports "$p") || fail "$p's order is not kept"
done
echo "OK: $events events of 5 hosts merged by Lamport clock; every rule holds"
