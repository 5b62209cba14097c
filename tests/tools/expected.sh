#!/usr/bin/env bash
# A scenario's expected summary, the specification its run is held to: what
# scenarios/NAME.expected pins (tests/run_scenario.sh compares it after every
# simulated run; tests/tools/rewrite_expected.sh writes it).
#
#   tests/tools/expected.sh RUN_OUTPUT TRACE EXIT_STATUS
#
# RUN_OUTPUT is what `pgroup run SCENARIO --brief --trace TRACE` printed,
# EXIT_STATUS its exit status. Prints, in this order:
#   exit: the run's exit status
#   summary: simulated time, events, sends, deliveries (not the wall time)
#   network: datagrams, by kind, and header bytes
#   views: `view` events in the trace; groups: the group layer's line (if any)
#   rules: every rule's line, each failed rule's first violation with its
#          evidence, the bounds, the verdict
# Everything in it is deterministic: the same scenario and seed give the same
# bytes, so that a change in behaviour shows as a diff of the .expected file.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 RUN_OUTPUT TRACE EXIT_STATUS" >&2; exit 2; }
run=$1 trace=$2 rc=$3
echo "exit: $rc"
sed -n 's/^summary: simulated \([^ ]* s\) in [^;]* wall;/summary: simulated \1;/p' "$run"
grep '^network: ' "$run" || true
echo "views: $(grep -c '"ev":"view"' "$trace" || true)"
grep '^groups: ' "$run" || true
sed -n '/^rules:/,/^verdict:/p' "$run"
