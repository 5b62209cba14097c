#!/usr/bin/env bash
# pgroup sweep end to end: a tiny spec gives results.csv with the documented
# columns and one row per run, deterministic rows (wall_s aside), plots and a
# report; a run that fails (here: it cannot write its latency dump) is an
# ERROR row, not the end of the sweep;
# a second run resumes (skips finished rows, reruns a removed one); Ctrl-C
# (SIGINT) keeps finished rows and exits 130; a bad spec is FILE:LINE:COL, exit 2.
# usage: e2e_sweep.sh PGROUP SOURCE_DIR OUTDIR
set -euo pipefail
pgroup=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

cat >"$out/tiny.sweep" <<'SPEC'
name tiny
base
  set suspect_timeout 300ms
  run 2s
  quiet 1s
end
order fifo cbcast
group_size 2 3
senders 1 all
rate 20/s
grid main
grid crash
order cbcast
group_size 3
senders 1
crash 0.5s
dump_latency
grid broken          # its latency dump is made a directory below: the run cannot start
order cbcast
group_size 4
senders 1
dump_latency
SPEC
rows() { tail -n +2 "$1/results.csv" | wc -l; }
col() { head -1 "$1/results.csv" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }

# 1. a full sweep; 8 + 1 + 1 = 10 runs; the broken one is an ERROR row (exit 1)
mkdir -p "$out/a/runs/broken-cbcast-n4-s1-r20-b64-l0-seed1.latency.csv"
set +e
"$pgroup" sweep "$out/tiny.sweep" --out "$out/a" --jobs 2 >"$out/a.out" 2>"$out/a.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "sweep exit $rc, want 1 (one ERROR row)"
[ "$(rows "$out/a")" -eq 10 ] || fail "$(rows "$out/a") rows, want 10"
for c in id grid order group_size senders rate msg_bytes loss seed verdict latency_p50_ms \
  latency_p99_ms latency_mean_ms throughput_msgs_per_s net_msgs_per_mcast header_bytes_per_msg \
  retained_msgs_max delayed_fraction flush_ms sim_events wall_s error; do
  [ -n "$(col "$out/a" "$c")" ] || fail "results.csv has no column $c"
done
v=$(col "$out/a" verdict)
[ "$(cut -d, -f"$v" "$out/a/results.csv" | grep -c '^PASS$')" -eq 9 ] || fail "want 9 PASS rows"
grep -q '^broken-cbcast-n4-.*,ERROR,2,.*cannot write broken-.*latency.csv: Is a directory' "$out/a/results.csv" \
  || fail "the broken run is not an ERROR row with its message"
grep -q '^crash-cbcast-n3-s1-.*crash0.5' "$out/a/results.csv" || fail "no crash row"
f=$(col "$out/a" flush_ms)
awk -F, -v f="$f" '/^crash-/ { if ($f <= 0) exit 1 }' "$out/a/results.csv" \
  || fail "the crash run has no flush duration"
echo "OK: 10 rows, documented columns, 9 PASS, the broken run recorded as ERROR"

# 2. plots and report
for p in latency_mean_vs_n throughput_vs_n header_bytes_vs_n flush_vs_n; do
  [ -s "$out/a/$p.svg" ] && [ -s "$out/a/$p.png" ] || fail "plot $p missing"
done
[ -s "$out/a/latency_over_time_cbcast_n3_1_sender.png" ] || fail "no timeline plot named for its run"
# fit for a paper: text not enhanced (no subscripts), each series its own colour, dash and point
grep -q "set terminal svg .*noenhanced" "$out/a/plots.gp" && grep -q "set terminal pngcairo .*noenhanced" \
  "$out/a/plots.gp" || fail "plots.gp does not turn enhanced text off"
awk '/^# ---- /{delete colour; delete mark} /^set style line/{if ($7 in colour || ($9" "$11) in mark) bad=1;
     colour[$7]=1; mark[$9" "$11]=1} END{exit bad}' "$out/a/plots.gp" \
  || fail "two series of one plot share a colour, or a dash and point type"
grep -q 'sender(s)' "$out/a/plots.gp" && fail "a title says sender(s)"
grep -q 'Series that coincide within 1% at every point, drawn on top of each other: ' "$out/a/report.md" \
  || fail "report.md does not say which series coincide"
[ -s "$out/a/runs/crash-cbcast-n3-s1-r20-b64-l0-crash0.5-seed1.latency.csv" ] || fail "no latency dump"
grep -q '^## Claim: "cbcast is at least a factor of two faster than abcast"' "$out/a/report.md" \
  || fail "report has no speed claim section"
grep -q '^## Flush duration' "$out/a/report.md" || fail "report has no flush section"
echo "OK: plots (SVG and PNG) and report.md"

# 3. deterministic rows: a second output directory gives the same rows but wall_s
mkdir -p "$out/b/runs/broken-cbcast-n4-s1-r20-b64-l0-seed1.latency.csv"
"$pgroup" sweep "$out/tiny.sweep" --out "$out/b" --jobs 1 >/dev/null 2>&1 || true
w=$(col "$out/a" wall_s)
diff <(cut -d, -f"$w" --complement "$out/a/results.csv") \
  <(cut -d, -f"$w" --complement "$out/b/results.csv") || fail "rows differ between two sweeps"
echo "OK: same rows (wall_s aside) with --jobs 2 and --jobs 1"

# 4. resume: nothing to run (the ERROR row runs again); a removed row runs again
cp "$out/a/results.csv" "$out/before.csv"
"$pgroup" sweep "$out/tiny.sweep" --out "$out/a" >"$out/r.out" 2>&1 || true
grep -q '10 runs, 9 already in .*, 1 to run' "$out/r.out" || fail "resume: $(head -1 "$out/r.out")"
diff <(cut -d, -f"$w" --complement "$out/before.csv") \
  <(cut -d, -f"$w" --complement "$out/a/results.csv") || fail "resume changed rows"
grep -v '^main-cbcast-n3-s3' "$out/before.csv" >"$out/a/results.csv"
"$pgroup" sweep "$out/tiny.sweep" --out "$out/a" >"$out/r2.out" 2>&1 || true
grep -q '10 runs, 8 already in .*, 2 to run' "$out/r2.out" || fail "resume: $(head -1 "$out/r2.out")"
[ "$(rows "$out/a")" -eq 10 ] || fail "after resume $(rows "$out/a") rows"
echo "OK: resume skips finished rows and reruns the missing one"

# a latency dump that is gone (a copy of the output without runs/) runs its point again
rm "$out/a/runs/crash-cbcast-n3-s1-r20-b64-l0-crash0.5-seed1.latency.csv"
"$pgroup" sweep "$out/tiny.sweep" --out "$out/a" >"$out/r3.out" 2>&1 || true
grep -q '10 runs, 8 already in .*, 2 to run' "$out/r3.out" || fail "resume: $(head -1 "$out/r3.out")"
[ -s "$out/a/runs/crash-cbcast-n3-s1-r20-b64-l0-crash0.5-seed1.latency.csv" ] || fail "dump not rewritten"
echo "OK: a point whose latency dump is missing runs again"

# 5. SIGINT keeps finished rows, exits 130; the same command then completes
cat >"$out/slow.sweep" <<'SPEC'
base
  run 6s
  quiet 1s
end
order cbcast
group_size 12
senders all
rate 200/s
seed 1 2 3 4 5 6
SPEC
"$pgroup" sweep "$out/slow.sweep" --out "$out/c" --jobs 1 >"$out/c.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -f "$out/c/results.csv" ] && [ "$(rows "$out/c")" -ge 1 ] && break
  sleep 0.05
done
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 130 ] || fail "interrupted sweep exit $rc, want 130"
n=$(rows "$out/c")
[ "$n" -ge 1 ] && [ "$n" -lt 6 ] || fail "interrupted sweep kept $n rows"
grep -q 'interrupted' "$out/c.out" || fail "no interruption message"
"$pgroup" sweep "$out/slow.sweep" --out "$out/c" --jobs 2 >"$out/c2.out" 2>&1 || fail "resume failed"
grep -q "6 runs, $n already" "$out/c2.out" || fail "resume after SIGINT: $(head -1 "$out/c2.out")"
[ "$(rows "$out/c")" -eq 6 ] || fail "after resume $(rows "$out/c") rows"
echo "OK: SIGINT kept $n finished rows (exit 130); the rerun completed the other $((6 - n))"

# 6. a bad spec: FILE:LINE:COL, exit 2, nothing run
printf 'base\n  run 2s\nend\norder fifo\ngroup_size 2\nloss 5\n' >"$out/bad.sweep"
set +e
"$pgroup" sweep "$out/bad.sweep" --out "$out/d" 2>"$out/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad spec exit $rc, want 2"
grep -q "^$out/bad.sweep:6:6: expected a percentage" "$out/bad.err" || fail "bad spec: $(cat "$out/bad.err")"
[ ! -e "$out/d" ] || fail "a bad spec created the output directory"
echo "OK: bad spec -> $(cut -c1-80 "$out/bad.err")"
