#!/usr/bin/env bash
# Regenerates this report: runs scenarios/sweeps/paper.sweep into this
# directory (results.csv, runs/, plots, report.md). Resumable: run it again
# after an interruption, or after abcast or a larger member cap lands (rows
# that ended ERROR run again, finished rows are kept).
# usage: reports/cbcast-vs-abcast/regen.sh [PGROUP] [--jobs N]
#   or:  cmake --build --preset release --target cbcast-vs-abcast
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pgroup=${1:-$root/build/release/pgroup}
shift || true
exec "$pgroup" sweep "$root/scenarios/sweeps/paper.sweep" --out "$here" "$@"
