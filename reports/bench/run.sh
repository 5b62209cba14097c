#!/usr/bin/env bash
# Wall-clock microseconds per simulated network message: pgroup (link layer +
# online checking, with and without writing the trace) against a bare SimGrid
# program that sends the same application messages on the same platform.
# usage: run.sh PGROUP BARE_SIMGRID OUTDIR [REPEATS]
set -euo pipefail
pgroup=$1 bare=$2 out=$3 reps=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
scn="$here/all2all16.scn"
scn_cb="$here/all2all16-cbcast.scn"
mkdir -p "$out"
# Parameters of the bare run, read from the scenario so both stay the same.
n=16 rate=100 size=256 dur=20 lat=0.00005 bw=125000000

best_of() { sort -g | head -1; }
pg_us() { # prints us/datagram of one pgroup run, and its datagram and send counts
  local s=$1; shift
  local extra=("$@")
  "$pgroup" run "$s" --brief "${extra[@]}" >"$out/pgroup.txt"
  awk '/^summary:/ {for(i=1;i<=NF;i++){ if($(i+1)=="s" && $(i+2)=="wall;") w=$i; if($(i+1)=="sends;") s=$i } }
       /^network:/ {d=$2; for(i=1;i<=NF;i++){ if($(i+1)=="data,") x=substr($i,2); if($(i+1)=="acks,") a=$i } }
       END {printf "%.4f %d %d %.4f %.4f\n", w*1e6/d, d, s, w, a/x}' "$out/pgroup.txt"
}
echo "benchmark: 16-process all-to-all, 100 msg/s per sender, 256 B, 20 s simulated, best of $reps"
pg_plain=(); pg_trace=(); pg_cb=(); bare_us=()
for r in $(seq "$reps"); do
  pg_plain+=("$(pg_us "$scn")")
  pg_trace+=("$(pg_us "$scn" --trace "$out/all2all16.jsonl")")
  pg_cb+=("$(pg_us "$scn_cb")")
  cb_hdr=$(awk '/^groups:/ {for(i=1;i<=NF;i++) if($(i+1)=="pg" && $(i+2)=="header") print $i}' "$out/pgroup.txt")
  bare_us+=("$("$bare" $n $rate $size $dur $lat $bw | sed -E 's/.*us_per_msg=([0-9.]+).*/\1/')")
done
best_plain=$(printf '%s\n' "${pg_plain[@]}" | sort -g | head -1)
best_trace=$(printf '%s\n' "${pg_trace[@]}" | sort -g | head -1)
best_bare=$(printf '%s\n' "${bare_us[@]}" | best_of)
best_cb=$(printf '%s\n' "${pg_cb[@]}" | sort -g | head -1)
read -r us_plain dgrams sends wall_plain acks_per_data <<<"$best_plain"
read -r us_trace _ _ wall_trace _ <<<"$best_trace"
read -r us_cb dgrams_cb sends_cb wall_cb _ <<<"$best_cb"
appmsgs=$((sends * (n - 1)))
printf 'pgroup (online checking):          %8.3f us per network message  (%d datagrams, %.3f s wall)\n' "$us_plain" "$dgrams" "$wall_plain"
printf 'pgroup (online checking + trace):  %8.3f us per network message  (%.3f s wall)\n' "$us_trace" "$wall_trace"
printf 'pgroup cbcast (process groups):    %8.3f us per network message  (%d datagrams, %.3f s wall)\n' "$us_cb" "$dgrams_cb" "$wall_cb"
printf 'bare SimGrid:                      %8.3f us per network message  (%d messages)\n' "$best_bare" "$appmsgs"
printf 'ratio pgroup/bare:                 %8.3f (online checking), %.3f (with trace); target <= 1.5\n' \
  "$(awk -v a="$us_plain" -v b="$best_bare" 'BEGIN{print a/b}')" \
  "$(awk -v a="$us_trace" -v b="$best_bare" 'BEGIN{print a/b}')"
printf 'protocol datagrams per application message: %.3f (standalone acks per data datagram: %.3f)\n' \
  "$(awk -v a="$dgrams" -v b="$appmsgs" 'BEGIN{print a/b}')" "$acks_per_data"
printf 'per application message:           %8.3f us pgroup, %.3f us bare SimGrid (ratio %.3f)\n' \
  "$(awk -v w="$wall_plain" -v m="$appmsgs" 'BEGIN{print w*1e6/m}')" "$best_bare" \
  "$(awk -v w="$wall_plain" -v m="$appmsgs" -v b="$best_bare" 'BEGIN{print w*1e6/m/b}')"
printf 'cost of writing the trace:          %8.3f us per network message\n' \
  "$(awk -v a="$us_trace" -v b="$us_plain" 'BEGIN{print a-b}')"
printf 'ratio cbcast/bare:                  %8.3f; %.3f datagrams per multicast destination; %.1f pg header bytes per multicast\n' \
  "$(awk -v a="$us_cb" -v b="$best_bare" 'BEGIN{print a/b}')" \
  "$(awk -v a="$dgrams_cb" -v b="$appmsgs" 'BEGIN{print a/b}')" \
  "$(awk -v a="$cb_hdr" -v b="$sends_cb" 'BEGIN{print a/b}')"
