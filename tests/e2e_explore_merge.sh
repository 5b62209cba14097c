#!/usr/bin/env bash
# pgroup explore --shard and --merge, through GNU parallel (the README's
# recipe with --sshlogin; here `--sshlogin 2/:`: this machine, 2 at a time):
# three shards of seeds 1..12 merged give the summary of one unsharded run of
# 1..12 (the same seeds,
# verdicts, violations, failures and coverage; only `timing` differs), the
# same seed records and the same failure files; a merge of directories of two
# specs is refused.
# usage: e2e_explore_merge.sh PGROUP SOURCE_DIR OUTDIR
set -euo pipefail
pgroup=$(realpath "$1") src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
command -v parallel >/dev/null || fail "GNU parallel not found: apt-get install parallel"

# Some seeds fail (a sabotage in about a quarter of them), so that failures are
# merged too. Not shrunk here (--shrink 0; e2e_explore tests shrinking): with
# --shrink N a shard shrinks the first N failures of each rule among its own seeds.
cat >"$out/m.explore" <<'SPEC'
name merge
active 600ms..1s
quiet 700ms
set heartbeat_period 20ms
set suspect_timeout 120ms
processes 3..5
groups 1..2
orders cbcast abcast
fault crash chance 50%
fault join chance 40%

fault sabotage chance 25% kinds duplicate drop
cover held during flush
cover view change with messages in flight
SPEC

parallel --will-cite --sshlogin 2/: "$pgroup" explore "$out/m.explore" --seeds 1..12 --shard {}/3 \
  --out "$out/shard{}" --jobs 1 --shrink 0 ">" "$out/shard{}.out" "2>&1" "||" true ::: 1 2 3
for k in 1 2 3; do
  [ -s "$out/shard$k/summary.json" ] || { cat "$out/shard$k.out"; fail "shard $k wrote no summary"; }
done
set +e
"$pgroup" explore --merge "$out/shard1" "$out/shard2" "$out/shard3" --out "$out/merged" >"$out/merged.out" 2>&1
mrc=$?
"$pgroup" explore "$out/m.explore" --seeds 1..12 --out "$out/whole" --jobs 2 --shrink 0 >"$out/whole.out" 2>&1
wrc=$?
set -e
[ "$mrc" -eq "$wrc" ] || fail "merge exit $mrc, unsharded exit $wrc"
[ "$mrc" -le 1 ] || { cat "$out/merged.out"; fail "merge exit $mrc"; }

# Everything but `timing` (wall time, seeds/s, jobs, command) is equal.
strip() { sed '/"timing":/,/}/d' "$1"; }
diff <(strip "$out/whole/summary.json") <(strip "$out/merged/summary.json") \
  || fail "merged summary.json differs from the unsharded run's"
diff <(sed '/^## Timing/,$d' "$out/whole/summary.md") <(sed '/^## Timing/,$d' "$out/merged/summary.md") \
  || fail "merged summary.md differs"
diff <(sed 's/,"wall_s":[0-9.e+-]*//' "$out/whole/seeds.jsonl" | sort) \
  <(sed 's/,"wall_s":[0-9.e+-]*//' "$out/merged/seeds.jsonl" | sort) || fail "seed records differ"
(cd "$out/whole" && find failures -type f | sort) >"$out/whole.files"
(cd "$out/merged" && find failures -type f | sort) >"$out/merged.files"
diff "$out/whole.files" "$out/merged.files" || fail "failure files differ"
for m in $(cd "$out/whole" && find failures -name scenario.scn); do
  cmp -s "$out/whole/$m" "$out/merged/$m" || fail "$m differs"
done
nf=$(grep -c . "$out/whole.files" || true)
grep -Eq '"count":[[:space:]]*12' "$out/merged/summary.json" || fail "merged summary does not count 12 seeds"
echo "OK: 3 shards through GNU parallel merged = one run of 12 seeds (summary, records, $nf failure files)"

# Another spec's directory is refused.
sed 's/^name merge/name other/' "$out/m.explore" >"$out/o.explore"
"$pgroup" explore "$out/o.explore" --seeds 1..2 --out "$out/other" --jobs 2 --shrink 0 >/dev/null 2>&1 || true
set +e
"$pgroup" explore --merge "$out/shard1" "$out/other" --out "$out/bad" 2>"$out/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'explored another spec' "$out/bad.err" || fail "merge of two specs: exit $rc"
echo "OK: $(cat "$out/bad.err")"
