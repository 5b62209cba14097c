#!/usr/bin/env bash
# The pgroup command's contract: help, exit statuses, FILE:LINE:COL errors that run nothing,
# malformed traces, and the reproduce line of a failing run.
# usage: e2e_cli.sh PGROUP SOURCE_DIR OUTDIR
set -uo pipefail
pgroup=$1 src=$2 out=$3
mkdir -p "$out"
fails=0
expect_rc() { # expect_rc WANT DESCRIPTION CMD...
  local want=$1 what=$2; shift 2
  "$@" >"$out/last.out" 2>"$out/last.err"; local rc=$?
  if [ $rc -ne "$want" ]; then echo "FAIL: $what: exit $rc, want $want"; cat "$out/last.out" "$out/last.err"; fails=$((fails+1));
  else echo "ok: $what (exit $rc)"; fi
}
expect_text() { # expect_text FILE REGEX DESCRIPTION
  if grep -qE "$2" "$1"; then echo "ok: $3"; else echo "FAIL: $3: no /$2/ in $1:"; cat "$1"; fails=$((fails+1)); fi
}

expect_rc 0 "pgroup --help" "$pgroup" --help
expect_text "$out/last.out" 'usage: pgroup COMMAND' "main help text"
expect_rc 0 "pgroup run --help" "$pgroup" run --help
expect_text "$out/last.out" 'usage: pgroup run SCENARIO' "run help text"
expect_rc 0 "pgroup check --help" "$pgroup" check --help
expect_text "$out/last.out" 'usage: pgroup check TRACE' "check help text"
expect_rc 2 "no command" "$pgroup"
expect_rc 2 "unknown command" "$pgroup" frobnicate
expect_rc 2 "run without scenario" "$pgroup" run
expect_rc 2 "bad seed" "$pgroup" run "$src/scenarios/quickstart.scn" --seed banana
expect_rc 2 "missing scenario file" "$pgroup" run "$out/does-not-exist.scn"

# A bad scenario: FILE:LINE:COL on stderr, exit 2, and nothing runs (no trace is written).
printf 'processes p1..p3\ngroup g1 p1..p3\nsend p1 group g1 rate 10/s\nat 1s crash p9\nrun 2s\n' >"$out/bad.scn"
rm -f "$out/bad.jsonl"
expect_rc 2 "bad scenario" "$pgroup" run "$out/bad.scn" --trace "$out/bad.jsonl"
expect_text "$out/last.err" "^$out/bad.scn:4:[0-9]+: " "error names FILE:LINE:COL"
[ ! -e "$out/bad.jsonl" ] && echo "ok: bad scenario ran nothing" || { echo "FAIL: bad scenario wrote a trace"; fails=$((fails+1)); }
grep -q 'summary:' "$out/last.out" && { echo "FAIL: bad scenario printed a run summary"; fails=$((fails+1)); }

# A malformed trace: exit 2 with PATH:LINE.
printf '{"trace":"pgroup","version":1,"scenario":"x","seed":1}\n{"t":0.5,"ev":"send",\n' >"$out/bad.jsonl"
expect_rc 2 "malformed trace" "$pgroup" check "$out/bad.jsonl"
expect_text "$out/last.err" "bad.jsonl:2" "trace error names PATH:LINE"
expect_rc 2 "missing trace" "$pgroup" check "$out/nope.jsonl"

# A violated rule: the run exits 1 and prints the rule, the evidence and the reproduce line.
sed 's/^expect violation integrity/expect pass/' "$src/scenarios/sabotage-duplicate.scn" >"$out/dup.scn"
expect_rc 1 "violated rule exits 1" "$pgroup" run "$out/dup.scn" --seed 5 --trace "$out/dup.jsonl"
expect_text "$out/last.out" '^  FAIL integrity' "names the violated rule"
expect_text "$out/last.out" 'line [0-9]+' "shows the evidence events by trace line"
expect_text "$out/last.out" "^reproduce with: $pgroup run $out/dup.scn --seed 5 --trace $out/dup.jsonl\$" \
  "prints the reproduce command: the program as invoked, the seed, the trace"
expect_rc 1 "check exits 1 on the violating trace" "$pgroup" check "$out/dup.jsonl"
expect_text "$out/last.out" '^  FAIL integrity' "offline check names the same rule"
# The reproduce line works when pasted: the same verdict and the same trace, byte for byte.
"$pgroup" run "$out/dup.scn" --seed 5 --trace "$out/dup.jsonl" >"$out/dup.run.out" 2>&1
line=$(sed -n 's/^reproduce with: //p' "$out/dup.run.out")
mv "$out/dup.jsonl" "$out/dup.second.jsonl"
(cd / && bash -c "$line") >"$out/paste.out" 2>&1; rc=$?
[ $rc -eq 1 ] && cmp -s "$out/dup.jsonl" "$out/dup.second.jsonl" && echo "ok: the pasted reproduce line reruns the run (exit 1, same trace)" \
  || { echo "FAIL: pasted '$line' from / gave exit $rc or another trace"; fails=$((fails+1)); }
# Without --trace, the cited lines come with how to get them.
expect_rc 1 "violated rule without a trace" "$pgroup" run "$out/dup.scn" --seed 5 --brief
expect_text "$out/last.out" "^reproduce with: $pgroup run $out/dup.scn --seed 5\$" "reproduce line without --trace"
expect_text "$out/last.out" 'add --trace FILE' "says how to get the cited trace lines"

# The resolved configuration and the seed are printed at the start of every run.
expect_rc 0 "quickstart passes" "$pgroup" run "$src/scenarios/quickstart.scn"
head -1 "$out/last.out" | grep -q "pgroup run .*quickstart.scn --seed 42" && echo "ok: first line gives the seed" \
  || { echo "FAIL: first line does not give the seed"; head -3 "$out/last.out"; fails=$((fails+1)); }
expect_text "$out/last.out" '^  PASS liveness' "quickstart liveness passes"

# Progress: a run of more than a second (this one takes about 3 s of wall time in
# release, more under ASan) draws it on stderr when stderr is a terminal
# (script(1) gives it one), and nothing otherwise; the trace is the same either way.
printf 'processes p1..p8\ngroup g p1..p8\nsend p1..p8 group g order cbcast rate 200/s\nrun 30s\n' >"$out/long.scn"
if command -v script >/dev/null; then
  script -qec "$pgroup run $out/long.scn --brief --trace $out/long.tty.jsonl >/dev/null" "$out/long.tty.err" >/dev/null
  expect_rc 0 "long run, stderr not a terminal" "$pgroup" run "$out/long.scn" --brief --trace "$out/long.jsonl"
  expect_text "$out/long.tty.err" 'pgroup run: simulated [0-9.]+ s of 30.000 s \([0-9]+%\), [0-9.e+-]+ simulated s per wall s, about [0-9:]+ left' \
    "progress line on a terminal"
  sed -i -E '/^==[0-9]+==WARNING: ASan is ignoring requested __asan_handle_no_return/d;
    /^False positive error reports may follow$/d;
    /^For details see https:\/\/github.com\/google\/sanitizers\/issues\/189$/d' "$out/last.err"
  [ ! -s "$out/last.err" ] && echo "ok: no progress when stderr is not a terminal (ASan's notes aside)" \
    || { echo "FAIL: stderr not a terminal, yet:"; cat "$out/last.err"; fails=$((fails+1)); }
  cmp -s "$out/long.jsonl" "$out/long.tty.jsonl" && echo "ok: same trace with and without the progress line" \
    || { echo "FAIL: the progress line changed the trace"; fails=$((fails+1)); }
else
  echo "skipped: no script(1) to give the run a terminal"
fi

# --version: the version, the commit, SimGrid's version.
expect_rc 0 "pgroup --version" "$pgroup" --version
expect_text "$out/last.out" '^pgroup [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}(-dirty)?|unknown\)' "version and commit"
expect_text "$out/last.out" '^SimGrid [0-9]+\.[0-9]+\.[0-9]+ \(built against [0-9]+\.[0-9]+\.[0-9]+\)$' "SimGrid version"

echo "$fails failure(s)"
[ $fails -eq 0 ]
