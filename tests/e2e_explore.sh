#!/usr/bin/env bash
# pgroup explore end to end, on a spec with a sabotage kind (every seed must
# fail): violations are found; each failure is a standalone scenario that
# `pgroup run` fails again with no other file, with its trace beside it; it is
# shrunk into a shorter minimal.scn that fails the same rule; the summary
# counts the violations by rule and has the coverage table (an unreachable
# target listed as unreached); the same command again runs nothing (resume);
# --check-determinism finds no mismatch; --print repeats; a .scn works as the
# spec; a bad spec is FILE:LINE:COL, exit 2; an unwritable --out is exit 2
# before any run.
# usage: e2e_explore.sh PGROUP SOURCE_DIR OUTDIR
set -euo pipefail
pgroup=$(realpath "$1") src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
lines() { grep -cvE '^[[:space:]]*(#|$)' "$1"; }

cat >"$out/sabotage.explore" <<'SPEC'
name sabotage
active 600ms..900ms
quiet 600ms
set heartbeat_period 20ms
set suspect_timeout 100ms
processes 3..4
groups 1
orders cbcast
fault sabotage kinds duplicate
fault loss chance 50% value 1%..3%
fault join chance 50%
fault flush chance 50% count 1..2
cover delayed by causal rule
cover no run reaches this situation
SPEC

# 1. four seeds: violations found, every failure written, reproduced and shrunk
set +e
"$pgroup" explore "$out/sabotage.explore" --seeds 1..4 --out "$out/a" --jobs 2 >"$out/a.out" 2>"$out/a.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$out/a.out" "$out/a.err"; fail "explore exit $rc, want 1 (violations)"; }
grep -Eq '"FAIL":[[:space:]]*[1-4]' "$out/a/summary.json" || fail "no FAIL seed: $(grep -A4 verdicts "$out/a/summary.json")"
grep -Eq '"rule":[[:space:]]*"integrity"' "$out/a/summary.json" || fail "integrity not among the violations"
[ "$(wc -l <"$out/a/seeds.jsonl")" -eq 4 ] || fail "seeds.jsonl has $(wc -l <"$out/a/seeds.jsonl") records"
seed=$(ls "$out/a/failures" | sort -n | head -1)
f="$out/a/failures/$seed"
for x in scenario.scn trace.jsonl run.txt minimal.scn shrink.txt; do
  [ -s "$f/$x" ] || fail "failures/$seed/$x missing"
done
n0=$(lines "$f/scenario.scn") n1=$(lines "$f/minimal.scn")
[ "$n1" -lt "$n0" ] || fail "minimal.scn has $n1 lines, scenario.scn $n0"
cp "$f/scenario.scn" "$out/standalone.scn" # no other file: another directory
set +e
(cd / && "$pgroup" run "$out/standalone.scn" --brief >"$out/standalone.run" 2>&1)
rc=$?
"$pgroup" run "$f/minimal.scn" --brief >"$out/minimal.run" 2>&1
rc2=$?
set -e
[ "$rc" -eq 1 ] && grep -q '^  FAIL integrity' "$out/standalone.run" || fail "pgroup run scenario.scn: exit $rc"
[ "$rc2" -eq 1 ] && grep -q '^  FAIL integrity' "$out/minimal.run" || fail "pgroup run minimal.scn: exit $rc2"
grep -q "^reproduce with: pgroup run $f/minimal.scn" "$f/shrink.txt" || fail "shrink.txt has no reproduce line"
"$pgroup" check "$f/trace.jsonl" >"$out/check.txt" 2>&1 && fail "pgroup check of the trace passes"
grep -q '^  FAIL integrity' "$out/check.txt" || fail "the trace does not fail integrity offline"
echo "OK: seed $seed: scenario.scn ($n0 lines) fails integrity standalone; minimal.scn $n1 lines fails it too; trace beside it"

# 2. the summary: coverage table, an unreached target, the rate
grep -q '^| delayed by causal rule | [0-9]* | yes |' "$out/a/summary.md" || fail "no coverage row for the target"
grep -q -A1 '"unreached"' "$out/a/summary.json" || fail "no unreached list"
grep -q '"no run reaches this situation"' "$out/a/summary.json" || fail "the unreachable target is not listed"
grep -q '^- no run reaches this situation$' "$out/a/summary.md" || fail "summary.md does not list the unreached target"
grep -q 'seeds/s' "$out/a/summary.md" || fail "no seeds/s figure"
grep -Eq '"reproduced":[[:space:]]*true' "$out/a/summary.json" || fail "no failure marked reproduced"
echo "OK: summary with violations by rule, coverage table, unreached target, $(grep -o '[0-9.]* seeds/s' "$out/a/summary.md")"

# 3. resume: the same command runs no seed again
set +e
"$pgroup" explore "$out/sabotage.explore" --seeds 1..4 --out "$out/a" --jobs 2 >"$out/a2.out" 2>&1
set -e
grep -q ': 0 to run' "$out/a2.out" || fail "resume: $(head -1 "$out/a2.out")"
[ "$(wc -l <"$out/a/seeds.jsonl")" -eq 4 ] || fail "resume changed seeds.jsonl"
echo "OK: the same command again runs nothing"

# 3b. Ctrl-C (SIGINT) keeps the finished seeds and exits 130; the same command completes
"$pgroup" explore "$src/scenarios/explore/default.explore" --seeds 1..400 --out "$out/i" --jobs 1 \
  --shrink 0 >"$out/i.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -f "$out/i/seeds.jsonl" ] && [ "$(wc -l <"$out/i/seeds.jsonl")" -ge 2 ] && break
  sleep 0.05
done
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 130 ] || fail "interrupted explore exit $rc, want 130"
n=$(wc -l <"$out/i/seeds.jsonl")
[ "$n" -ge 2 ] && [ "$n" -lt 400 ] || fail "interrupted explore kept $n seeds"
grep -q '^interrupted: ' "$out/i.out" || fail "no interruption message"
"$pgroup" explore "$src/scenarios/explore/default.explore" --seeds 1..$((n + 3)) --out "$out/i" \
  --jobs 2 --shrink 0 >"$out/i2.out" 2>&1 || true
grep -q ": 3 to run" "$out/i2.out" || fail "resume after SIGINT: $(head -1 "$out/i2.out")"
echo "OK: SIGINT kept $n seeds (exit 130); the same command ran only the 3 new ones"

# 4. determinism, --print, a .scn as the spec
"$pgroup" explore "$src/scenarios/explore/default.explore" --seeds 1..8 --out "$out/d" --jobs 2 \
  --check-determinism --shrink 0 >"$out/d.out" 2>&1 || true
grep -Eq '"checked":[[:space:]]*8,' "$out/d/summary.json" && grep -Eq '"mismatches":[[:space:]]*0$' "$out/d/summary.json" \
  || fail "determinism: $(grep -A3 '"determinism"' "$out/d/summary.json")"
"$pgroup" explore "$src/scenarios/explore/default.explore" --seeds 5..6 --print >"$out/p1"
"$pgroup" explore "$src/scenarios/explore/default.explore" --seeds 5..6 --print >"$out/p2"
cmp -s "$out/p1" "$out/p2" || fail "--print differs between two calls"
"$pgroup" explore "$src/scenarios/vs-join-leave.scn" --seeds 1..4 --out "$out/s" --jobs 2 --shrink 0 \
  >"$out/s.out" 2>&1 || true
grep -Eq '"count":[[:space:]]*4' "$out/s/summary.json" || fail "a .scn spec: $(tail -3 "$out/s.out")"
echo "OK: 8 seeds run twice, 0 mismatches; --print repeats; a .scn spec runs"

# 5. bad input: nothing runs, exit 2
printf 'name bad\nactive 1s..2s\nfault crsh chance 10%%\n' >"$out/bad.explore"
set +e
"$pgroup" explore "$out/bad.explore" --seeds 1..3 --out "$out/b" 2>"$out/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad spec exit $rc"
grep -q "^$out/bad.explore:3:7: unknown fault kind 'crsh' (did you mean 'crash'?)$" "$out/bad.err" \
  || fail "bad spec message: $(cat "$out/bad.err")"
[ ! -e "$out/b" ] || fail "a bad spec created the output directory"
touch "$out/file"
set +e
"$pgroup" explore "$out/sabotage.explore" --seeds 1..3 --out "$out/file/x" >"$out/w.out" 2>"$out/w.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unwritable --out exit $rc"
grep -q "cannot create $out/file/x" "$out/w.err" || fail "unwritable --out: $(cat "$out/w.err")"
[ ! -s "$out/w.out" ] || fail "something ran before the unwritable --out was refused"
echo "OK: bad spec -> $(cat "$out/bad.err"); unwritable --out -> exit 2, nothing run"
