#!/usr/bin/env bash
# pgroup show end to end: the SVG of the failing run of scenarios/sabotage-causal.scn
# is valid XML, renders to PNG with rsvg-convert, and draws the violating delivery
# in red; `run --svg` draws the same picture; a crowded window is thinned and says
# so; the ShiViz log round-trips happens-before and the Perfetto JSON holds one
# track per incarnation, on three scenarios with crashes and partitions
# (tests/show_check.c judges both); bad usage exits 2.
# usage: e2e_show.sh PGROUP SOURCE_DIR OUTDIR   (PG_TEST_TOOLS: the directory of show_check)
set -uo pipefail
pgroup=$1 src=$2 out=$3
tools=${PG_TEST_TOOLS:-$(dirname "$out")}
rm -rf "$out"
mkdir -p "$out"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
need() { command -v "$1" >/dev/null || { bad "$1 is not installed (apt-get install $2)"; exit 1; }; }
need xmllint libxml2-utils
need rsvg-convert librsvg2-bin

# 1. the failing run: violating delivery in red, valid SVG, renders to PNG
scn=$src/scenarios/sabotage-causal.scn
"$pgroup" run "$scn" --brief --trace "$out/causal.jsonl" --svg "$out/run.svg" >"$out/run.out" 2>&1 \
  || bad "pgroup run $scn --svg exited $?"
grep -q "^picture: $out/run.svg" "$out/run.out" && ok "run --svg names its picture" \
  || bad "run --svg printed no picture line: $(tail -2 "$out/run.out")"
"$pgroup" show "$out/causal.jsonl" --svg "$out/causal.svg" >"$out/show.out" 2>&1 \
  || bad "pgroup show exited $?: $(cat "$out/show.out")"
grep -q 'violation drawn: causal-order' "$out/show.out" && ok "show names the violation it draws" \
  || bad "show: $(cat "$out/show.out")"
cmp -s "$out/run.svg" "$out/causal.svg" && ok "run --svg and show --svg draw the same picture" \
  || bad "run --svg and show --svg differ"
xmllint --noout "$out/causal.svg" && ok "xmllint accepts the SVG" || bad "xmllint rejects the SVG"
rsvg-convert "$out/causal.svg" -o "$out/causal.png" && [ -s "$out/causal.png" ] \
  && ok "rsvg-convert renders it ($(wc -c <"$out/causal.png") bytes of PNG)" || bad "rsvg-convert failed"
# the evidence: the checker's violating delivery (p3 delivered p1/52 first) is a red arrow
line=$(grep -n '"ev":"deliver","node":"p3","msg":"p1/52"' "$out/causal.jsonl" | cut -d: -f1)
tr '\n' ' ' <"$out/causal.svg" | grep -o '<g class="violation"><title>p1/52 [^<]*</title><line [^>]*>' \
  >"$out/red.txt"
grep -q "delivered at p3 at [0-9.]* s (line $line); evidence" "$out/red.txt" \
  && grep -q 'stroke="#d00000"' "$out/red.txt" \
  && ok "the delivery of p1/52 at p3 (trace line $line) is drawn in red" \
  || bad "no red arrow for p3's delivery of p1/52 (line $line): $(cat "$out/red.txt")"
grep -q 'FAIL causal-order: p3 delivered p1/52 before p1/51' "$out/causal.svg" \
  && grep -q 'Rule 6 (causal-order): if send(m1) happened before send(m2)' "$out/causal.svg" \
  && ok "the caption gives the violation and the rule's sentence" || bad "caption lacks the violation"
grep -c '<title>p1/' "$out/causal.svg" | grep -qv '^0$' && ok "arrows carry hover titles" \
  || bad "no <title> on the arrows"

# the violation a scenario expects is the one drawn, even when another comes first
"$pgroup" run "$src/scenarios/sabotage-fatomic.scn" --brief --trace "$out/fatomic.jsonl" >/dev/null 2>&1
"$pgroup" show "$out/fatomic.jsonl" --svg "$out/fatomic.svg" >"$out/fatomic.out" 2>&1
grep -q 'violation drawn: failure-atomicity' "$out/fatomic.out" \
  && grep -q 'The scenario expects this violation; the first one in the trace is of causal-order' \
    "$out/fatomic.svg" && ok "sabotage-fatomic: the expected violation is drawn, and the caption says so" \
  || bad "sabotage-fatomic: $(cat "$out/fatomic.out")"

# 2. a crowded window is thinned and the caption says so
"$pgroup" run "$src/scenarios/quickstart.scn" --brief --trace "$out/quick.jsonl" >/dev/null 2>&1
"$pgroup" show "$out/quick.jsonl" --svg "$out/quick.svg" >"$out/quick.out" 2>&1 || bad "show quickstart"
xmllint --noout "$out/quick.svg" || bad "xmllint rejects the quickstart SVG"
grep -q 'Thinned: [0-9]* of the [0-9]* message arrows' "$out/quick.svg" \
  && ok "the whole quickstart run is thinned and says so: $(cat "$out/quick.out")" \
  || bad "no thinning caption: $(cat "$out/quick.out")"
n=$(grep -c '<line x1=[^>]*marker-end="url(#ah[0-9])"' "$out/quick.svg")
[ "$n" -le 400 ] && ok "at most 400 arrows drawn ($n)" || bad "$n arrows drawn"
"$pgroup" show "$out/quick.jsonl" --svg "$out/w.svg" --from 2 --to 2.5 --nodes p1,p3 >"$out/w.out" 2>&1
grep -q ': 2 s to 2.5 s, 2 lanes' "$out/w.out" && ok "--from/--to/--nodes: $(cat "$out/w.out")" \
  || bad "window or nodes not applied: $(cat "$out/w.out")"

# 3. ShiViz and Perfetto on three scenarios with crashes and partitions
for s in quickstart vs-partition-rejoin state-transfer-crash; do
  "$pgroup" run "$src/scenarios/$s.scn" --brief --trace "$out/$s.jsonl" >/dev/null 2>&1
  "$pgroup" show "$out/$s.jsonl" --shiviz "$out/$s.shiviz" --perfetto "$out/$s.json" >/dev/null \
    || bad "show --shiviz --perfetto on $s"
  grep -q '"ev":"crash"' "$out/$s.jsonl" && grep -qE '"kind":"(partition|isolate)"' "$out/$s.jsonl" \
    || bad "$s has no crash or no partition"
  "$tools/show_check" shiviz "$out/$s.jsonl" "$out/$s.shiviz" || fails=$((fails + 1))
  "$tools/show_check" perfetto "$out/$s.jsonl" "$out/$s.json" || fails=$((fails + 1))
done

# 4. bad usage and bad input exit 2 and write nothing
expect2() { # expect2 WHAT CMD...
  local what=$1; shift
  "$@" >"$out/last.out" 2>&1; local rc=$?
  [ $rc -eq 2 ] && ok "$what: exit 2 ($(head -1 "$out/last.out"))" || bad "$what: exit $rc, want 2"
}
"$pgroup" show --help >"$out/help.out" 2>&1 && grep -q '^usage: pgroup show TRACE' "$out/help.out" \
  && ok "show --help" || bad "show --help: $(head -2 "$out/help.out")"
expect2 "show without output" "$pgroup" show "$out/causal.jsonl"
expect2 "show without trace" "$pgroup" show --svg "$out/x.svg"
expect2 "missing trace" "$pgroup" show "$out/nope.jsonl" --svg "$out/x.svg"
expect2 "bad --from" "$pgroup" show "$out/causal.jsonl" --svg "$out/x.svg" --from soon
expect2 "unknown group" "$pgroup" show "$out/causal.jsonl" --svg "$out/x.svg" --group g9
expect2 "unknown node" "$pgroup" show "$out/causal.jsonl" --svg "$out/x.svg" --nodes p77
expect2 "window ends before it starts" "$pgroup" show "$out/causal.jsonl" --svg "$out/x.svg" --from 2 --to 1
expect2 "run --svg without --trace" "$pgroup" run "$scn" --svg "$out/x.svg"
[ ! -e "$out/x.svg" ] && ok "no picture written on bad usage" || bad "a picture was written on bad usage"
printf '{"trace":"pgroup","version":1,"scenario":"x","seed":1}\n{"t":1,"ev":"send"}\n' >"$out/bad.jsonl"
expect2 "malformed trace" "$pgroup" show "$out/bad.jsonl" --svg "$out/x.svg"
grep -q 'bad.jsonl:2' "$out/last.out" && ok "names PATH:LINE" || bad "no PATH:LINE: $(cat "$out/last.out")"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
