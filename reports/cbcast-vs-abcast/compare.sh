#!/usr/bin/env bash
# Which figures of this report moved between two versions of results.csv:
# for every numeric result column, the rows (matched by run id) whose value
# moved by more than 1%, and the geometric mean of new/old over the rows
# with a value, per grid. Wall time is left out (it is the machine's).
# usage: compare.sh OLD_RESULTS.csv NEW_RESULTS.csv
#   e.g. compare.sh <(git show REV:reports/cbcast-vs-abcast/results.csv) reports/cbcast-vs-abcast/results.csv
set -euo pipefail
awk -F, '
  NR == FNR { if (FNR == 1) { for (i = 1; i <= NF; i++) col[i] = $i; ncol = NF; next } old[$1] = $0; next }
  FNR == 1 { next }
  ($1 in old) {
    n++; split(old[$1], a, ","); grid = $2; grids[grid] = 1; rows[grid]++
    if (a[14] != $14) changed_verdict++
    for (c = 16; c <= ncol; c++) {
      if (col[c] == "wall_s" || col[c] == "error" || col[c] == "sim_events") continue
      if (a[c] == "" && $c == "") continue
      x = a[c] + 0; y = $c + 0
      if (x == 0 && y == 0) continue
      k = grid SUBSEP c; tot[k]++
      if (x == 0 || y == 0) { moved[k]++; continue }
      r = y / x; if (r > 1.01 || r < 0.99) moved[k]++
      lsum[k] += log(r); lcnt[k]++
    }
  }
  END {
    printf "%d runs in both; %d changed verdict.\n\n", n, changed_verdict
    printf "| grid | figure | runs with a value | moved by more than 1%% | geometric mean new/old |\n|---|---|---:|---:|---:|\n"
    for (g in grids) for (c = 16; c <= ncol; c++) { k = g SUBSEP c
      if (tot[k]) printf "| %s | %s | %d | %d | %s |\n", g, col[c], tot[k], moved[k] + 0,
        lcnt[k] ? sprintf("%.3f", exp(lsum[k] / lcnt[k])) : "-" }
  }' "$1" "$2" | { IFS= read -r l1; IFS= read -r l2; IFS= read -r h1; IFS= read -r h2; echo "$l1"; echo "$l2"; echo "$h1"; echo "$h2"; sort; }
