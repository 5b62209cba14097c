#!/usr/bin/env bash
# Writes a hierarchical-group scenario to stdout.
# usage: gen.sh NAME S M CLIENTS RATE RUN_S [crash] [mcast] [stagger_s] [heartbeat]
#   S subgroups of M members (S=1: the flat group of M members), a root of 3,
#   CLIENTS clients at RATE requests/s each from 1s to RUN_S-3s (quiet 3s);
#   `crash`: one member of the first subgroup crashes at RUN_S/2;
#   `mcast`: one member of each subgroup sends global and one local full-set
#   multicasts at 5/s each.
set -euo pipefail
name=$1 S=$2 M=$3 C=$4 rate=$5 run=$6 crash=${7:-} mcast=${8:-} stagger=${9:-0.5} hb=${10:-}
stop=$((run - 3))
echo "name $name"
echo "seed 1"
[ -n "$hb" ] && echo "set heartbeat_period $hb" && echo "set suspect_timeout $((${hb%ms} * 10))ms"
subs=""
procs="r1..r3"
for s in $(seq 1 "$S"); do procs="$procs s${s}m1..s${s}m$M"; subs="$subs G$s"; done
echo "processes $procs c1..c$C"
echo "group R r1..r3"
for s in $(seq 1 "$S"); do echo "group G$s s${s}m1..s${s}m$M"; done
ranges=$(( S * 4 > 256 ? 256 : S * 4 < 16 ? 16 : S * 4 ))
echo "hier H root R subgroups$subs keys $((ranges * 8)) ranges $ranges"
echo "hier-clients H c1..c$C stagger ${stagger}s"
[ "$rate" != 0 ] && echo "hier-requests H rate $rate/s start 1s stop ${stop}s"
if [ -n "$mcast" ]; then
  g="" l=""
  for s in $(seq 1 "$S"); do g="$g s${s}m1"; l="$l s${s}m2"; done
  echo "hier-mcast H$g order global rate 5/s start 1s stop ${stop}s"
  echo "hier-mcast H$l order local rate 5/s start 1s stop ${stop}s"
fi
[ -n "$crash" ] && echo "at $((run / 2))s crash s1m$M"
echo "run ${run}s"
echo "quiet 3s"
echo "expect pass"
