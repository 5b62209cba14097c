#!/usr/bin/env bash
# pgroup shrink end to end: a sabotage scenario padded with 20+ unrelated lines
# shrinks back to the lines the violation needs, and the minimal file fails the
# same rule under `pgroup run`; the result is the same with --jobs 1 and 2; a
# scenario with `expect violation` keeps that rule failing and its `expect`
# line (the minimal run passes as the scenario wants); liveness is kept with a
# sound quiet period; a passing scenario is
# refused (exit 2, "nothing to shrink: every rule holds"); a bad scenario is
# FILE:LINE:COL, exit 2; an unwritable --out is exit 2 before any run.
# usage: e2e_shrink.sh PGROUP SOURCE_DIR OUTDIR
set -euo pipefail
pgroup=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
lines() { grep -cvE '^[[:space:]]*(#|$)' "$1"; }

# The violation needs 7 lines: name, seed, processes, group, send, the sabotage, run.
cat >"$out/padded.scn" <<'SCN'
# sabotage-duplicate (p2 gets one delivery twice) padded with 24 unrelated lines
name padded
seed 3
set heartbeat_period 50ms
set suspect_timeout 400ms
set window 256
processes p1..p8
group g1 p1..p3
group g2 p4..p6
group g3 p7 p8 p1
send p1 group g1 order cbcast rate 20/s size 64B start 0s stop 4s
send p2 p3 group g1 order cbcast rate 15/s
send p4..p6 group g2 order cbcast rate 30/s size 200B
send p7 p8 group g3 order abcast rate 25/s
send p5 to p4 order p2p rate 5/s
at 0.5s loss 2%
at 0.7s delay 1ms jitter 2ms
at 1s duplicate 3%
at 1.2s cut p4 -> p6
at 1.4s heal
at 1.5s flush p2 g1
at 1.8s partition p7 | p8
at 2.1s heal
at 2s sabotage duplicate p2
at 2.5s crash p6
at 3s restart p6
at 3.2s join p6 g2
at 3.4s leave p8 g3
at 3.6s garble 1%
run 6s
quiet 2s
SCN

# 1. the padded scenario fails integrity; shrink brings it back
set +e
"$pgroup" run "$out/padded.scn" --brief >"$out/padded.run" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q '^  FAIL integrity' "$out/padded.run" || fail "the padded scenario does not fail integrity"
"$pgroup" shrink "$out/padded.scn" --out "$out/min1.scn" --jobs 1 >"$out/shrink1.out" 2>&1 \
  || { cat "$out/shrink1.out"; fail "shrink exited $?"; }
grep -q '^step 1: .*integrity still fails' "$out/shrink1.out" || fail "no step lines: $(head -3 "$out/shrink1.out")"
grep -q "^reproduce with: pgroup run $out/min1.scn --seed 3\$" "$out/shrink1.out" || fail "no reproduce line"
n0=$(lines "$out/padded.scn") n1=$(lines "$out/min1.scn")
[ "$n1" -le 7 ] || fail "minimal has $n1 lines (from $n0), want at most 7: $(cat "$out/min1.scn")"
grep -q '^at .* sabotage duplicate p2$' "$out/min1.scn" || fail "the sabotage line went"
set +e
"$pgroup" run "$out/min1.scn" --brief >"$out/min1.run" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q '^  FAIL integrity' "$out/min1.run" || fail "pgroup run of the minimal file: exit $rc"
echo "OK: $n0 -> $n1 lines; pgroup run of the minimal file fails integrity"

# 2. the same minimal scenario with --jobs 2
"$pgroup" shrink "$out/padded.scn" --out "$out/min2.scn" --jobs 2 >"$out/shrink2.out" 2>&1 || fail "shrink --jobs 2"
diff <(grep -v '^#' "$out/min1.scn") <(grep -v '^#' "$out/min2.scn") || fail "--jobs 2 gives another minimal scenario"
echo "OK: --jobs 1 and --jobs 2 give the same minimal scenario"

# 3. `expect violation`: the expected rule is kept, with the expect line
{ grep -v '^run\|^quiet\|^name' "$out/padded.scn"; printf 'run 6s\nquiet 2s\nexpect violation integrity\n'; } >"$out/expect.scn"
"$pgroup" run "$out/expect.scn" --brief >/dev/null 2>&1 || fail "the expect scenario does not pass as a run"
"$pgroup" shrink "$out/expect.scn" --out "$out/min3.scn" >"$out/shrink3.out" 2>&1 || fail "shrink of the expect scenario"
grep -q 'keeping: integrity' "$out/shrink3.out" || fail "expect: $(head -1 "$out/shrink3.out")"
grep -q '^expect violation integrity$' "$out/min3.scn" || fail "the expect line went"
"$pgroup" run "$out/min3.scn" --brief >"$out/min3.run" 2>&1 || fail "the minimal expect scenario does not pass"
grep -q '^  FAIL integrity' "$out/min3.run" || fail "the minimal expect scenario does not fail integrity"
echo "OK: expect violation integrity kept ($(lines "$out/min3.scn") lines; the run passes as expected)"

# 3b. liveness: the quiet period stays sound (long enough, partitions healed before it)
cat >"$out/live.scn" <<'SCN'
name live
set heartbeat_period 20ms
set suspect_timeout 100ms
processes p1..p4
group g1 p1..p4
send p1 p2 group g1 order cbcast rate 40/s
at 300ms partition p1 p2 | p3 p4
at 350ms heal
at 500ms sabotage drop p3
at 700ms isolate p4
at 760ms heal
run 2s
quiet 1s
SCN
"$pgroup" shrink "$out/live.scn" --rule liveness --out "$out/min4.scn" >"$out/shrink4.out" 2>&1 || fail "shrink of the liveness scenario"
grep -q 'keeping: liveness' "$out/shrink4.out" || fail "liveness: $(head -1 "$out/shrink4.out")"
grep -q '^quiet 1s$' "$out/min4.scn" || fail "the quiet period was cut: $(grep quiet "$out/min4.scn")"
grep -q '^set suspect_timeout 100ms$' "$out/min4.scn" || fail "suspect_timeout went back to 1s (quiet too short)"
if grep -qE ' (partition|isolate|cut) ' "$out/min4.scn"; then
  grep -q ' heal$' "$out/min4.scn" || fail "a partition is left in force into the quiet period"
fi
echo "OK: liveness kept with a sound quiet period ($(lines "$out/min4.scn") lines)"

# 4. --rule: a rule that holds is refused
set +e
"$pgroup" shrink "$out/padded.scn" --rule causal-order --out "$out/x.scn" 2>"$out/rule.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'the rule holds in this run; it fails: integrity' "$out/rule.err" || fail "--rule: exit $rc $(cat "$out/rule.err")"
echo "OK: --rule causal-order refused: $(cat "$out/rule.err")"

# 5. a passing scenario: nothing to shrink
set +e
"$pgroup" shrink "$src/scenarios/quickstart.scn" --out "$out/q.scn" >"$out/q.out" 2>"$out/q.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "a passing scenario: exit $rc, want 2"
grep -q '^pgroup shrink: nothing to shrink: every rule holds' "$out/q.err" || fail "message: $(cat "$out/q.err")"
[ ! -e "$out/q.scn" ] || fail "a passing scenario left an output file"
echo "OK: $(cat "$out/q.err")"

# 6. bad input: a bad scenario, an unwritable output
printf 'processes p1 p2\ngroup g1 p1 p2\nrun 10\n' >"$out/bad.scn"
set +e
"$pgroup" shrink "$out/bad.scn" --out "$out/z.scn" 2>"$out/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "^$out/bad.scn:3:5: duration '10' needs a unit" "$out/bad.err" || fail "bad scenario: exit $rc $(cat "$out/bad.err")"
set +e
"$pgroup" shrink "$out/padded.scn" --out /nonexistent-dir/m.scn >"$out/w.out" 2>"$out/w.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'cannot write /nonexistent-dir/m.scn' "$out/w.err" || fail "unwritable --out: exit $rc"
[ ! -s "$out/w.out" ] || fail "something ran before the unwritable --out was refused"
echo "OK: bad scenario -> $(cat "$out/bad.err"); unwritable --out -> exit 2 before any run"
