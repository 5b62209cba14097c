#!/usr/bin/env bash
# Regenerates this report: runs scenarios/sweeps/paper.sweep into this
# directory (results.csv, runs/, plots, report.md), with paths relative to the
# repository root so that the report names no checkout. Resumable: run it
# again after an interruption, or after abcast or a larger member cap lands
# (rows that ended ERROR run again, finished rows are kept). runs/ is not
# committed: in a fresh clone the sweep keeps the committed rows of
# results.csv and runs again only the points whose latency dumps the CDF and
# timeline plots need (the `crash` and `cdf` grids).
# usage: reports/cbcast-vs-abcast/regen.sh [PGROUP] [--jobs N]
#   or:  cmake --build --preset release --target cbcast-vs-abcast
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pgroup=$(realpath "${1:-$root/build/release/pgroup}")
shift || true
cd "$root"
exec "$pgroup" sweep scenarios/sweeps/paper.sweep --out reports/cbcast-vs-abcast "$@"
