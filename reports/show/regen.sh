#!/usr/bin/env bash
# Regenerates the pictures in this directory: each scenario below runs with a
# trace (kept in a temporary directory), `pgroup show --svg` draws the trace
# (the window around the violation, the checker's evidence in red), and
# rsvg-convert (Debian librsvg2-bin) renders the SVG to PNG.
#   sabotage-fatomic: p2 drops a message that p4 delivered, p5 crashes, and p2
#     installs the next view without it (rule 5, failure atomicity).
#   sabotage-causal: p3 delivers two of p1's cbcasts in the wrong order (rule 6).
# usage: reports/show/regen.sh [PGROUP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pgroup=${1:-$root/build/release/pgroup}
command -v rsvg-convert >/dev/null || { echo "rsvg-convert not found: apt-get install librsvg2-bin" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
for s in sabotage-fatomic sabotage-causal; do
  "$pgroup" run "scenarios/$s.scn" --brief --trace "$tmp/$s.jsonl" >"$tmp/$s.out" \
    || { cat "$tmp/$s.out"; exit 1; }
  "$pgroup" show "$tmp/$s.jsonl" --svg "reports/show/$s.svg"
  rsvg-convert "reports/show/$s.svg" -o "reports/show/$s.png"
done
