#!/usr/bin/env bash
# pgroup live reaps every process it starts: on Ctrl-C (SIGINT: exit 130, the
# processes stopped, its scratch directory removed), when one of its
# processes dies on its own (the run fails and says which), and when the
# supervisor itself is killed (its processes die with it: PR_SET_PDEATHSIG).
# usage: live_signals.sh PGROUP SOURCE_DIR OUTDIR
set -uo pipefail
pgroup=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out/tmp"
export TMPDIR=$out/tmp
# The test kills a process with SIGSEGV to stand for a crash: under the asan
# preset, AddressSanitizer would catch the signal and exit with status 1
# instead of letting the process die of it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
fail() { echo "FAIL: $*"; exit 1; }
scn=$src/scenarios/quickstart.scn
# Dead or gone: no such process, or a zombie left to an init that does not reap.
gone() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -z "$s" ] || [ "${s:0:1}" = Z ]; }
children() { # the supervisor's processes, once all five are up
  local i kids
  for i in $(seq 100); do
    kids=$(pgrep -P "$1" | tr '\n' ' ')
    [ "$(echo $kids | wc -w)" -ge 5 ] && { echo "$kids"; return; }
    sleep 0.05
  done
}

# Ctrl-C
"$pgroup" live "$scn" --brief >"$out/int.txt" 2>&1 &
sup=$!
kids=$(children $sup)
[ -n "$kids" ] || fail "the processes did not start"
sleep 1
kill -INT $sup
wait $sup
rc=$?
[ $rc -eq 130 ] || fail "SIGINT: exit $rc, not 130"
for k in $kids; do gone "$k" || fail "SIGINT: process $k still runs"; done
grep -q 'interrupted; every process stopped' "$out/int.txt" || fail "SIGINT: no message"
[ -z "$(ls -A "$TMPDIR")" ] || fail "SIGINT: the scratch directory was left in $TMPDIR"

# A process that dies on its own: the run fails and names it
"$pgroup" live "$scn" --brief --time-scale 0.3 >"$out/segv.txt" 2>&1 &
sup=$!
kids=$(children $sup)
sleep 0.5
victim=$(echo $kids | cut -d' ' -f3)
kill -SEGV "$victim"
wait $sup
rc=$?
[ $rc -eq 1 ] || { cat "$out/segv.txt"; fail "a process killed by SIGSEGV: exit $rc, not 1"; }
grep -qE '^verdict: FAIL \(p[0-9] \(pid '"$victim"'\) died of signal 11' "$out/segv.txt" ||
  { cat "$out/segv.txt"; fail "the death of process $victim is not the verdict"; }
for k in $kids; do gone "$k" || fail "SIGSEGV run: process $k still runs"; done

# The supervisor killed: its processes die with it
"$pgroup" live "$scn" --brief >"$out/kill.txt" 2>&1 &
sup=$!
kids=$(children $sup)
kill -KILL $sup
wait $sup 2>/dev/null
sleep 0.5
for k in $kids; do gone "$k" || fail "supervisor killed: process $k still runs"; done
rm -rf "$TMPDIR"/pgroup-live-* # what a killed supervisor could not remove
echo "OK: every process reaped on SIGINT, on a process's death, and with its supervisor"
