#!/usr/bin/env bash
# Wall-clock microseconds per application message (one message of one sender
# to one receiver): pgroup at the link level (online checking, with and
# without writing the trace) and over cbcast, against a bare SimGrid program
# that sends the same application messages on the same platform, all
# measured in one run; the datagrams pgroup puts on the network per
# application message; and how fast `pgroup check` reads the trace back.
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
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
pg_plain=(); pg_trace=(); pg_cb=(); bare_us=(); check_s=()
for r in $(seq "$reps"); do
  pg_plain+=("$(pg_us "$scn")")
  pg_trace+=("$(pg_us "$scn" --trace "$out/all2all16.jsonl")")
  t0=$(date +%s.%N)
  "$pgroup" check "$out/all2all16.jsonl" >"$out/check.txt"
  t1=$(date +%s.%N)
  check_s+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')")
  pg_cb+=("$(pg_us "$scn_cb")")
  cb_hdr=$(awk '/^groups:/ {for(i=1;i<=NF;i++) if($(i+1)=="pg" && $(i+2)=="header") print $i}' "$out/pgroup.txt")
  bare_us+=("$("$bare" $n $rate $size $dur $lat $bw | sed -E 's/.*us_per_msg=([0-9.]+).*/\1/')")
done
best_plain=$(printf '%s\n' "${pg_plain[@]}" | sort -g | head -1)
best_trace=$(printf '%s\n' "${pg_trace[@]}" | sort -g | head -1)
best_bare=$(printf '%s\n' "${bare_us[@]}" | best_of)
best_cb=$(printf '%s\n' "${pg_cb[@]}" | sort -g | head -1)
best_check=$(printf '%s\n' "${check_s[@]}" | best_of)
read -r us_plain dgrams sends wall_plain acks_per_data <<<"$best_plain"
read -r us_trace _ _ wall_trace _ <<<"$best_trace"
read -r us_cb dgrams_cb sends_cb wall_cb _ <<<"$best_cb"
appmsgs=$((sends * (n - 1)))
appmsgs_cb=$((sends_cb * (n - 1)))
events=$(awk '/^summary:/ {print $2}' "$out/check.txt")
per_app() { awk -v w="$1" -v m="$2" 'BEGIN{printf "%.3f", w*1e6/m}'; }
app_plain=$(per_app "$wall_plain" "$appmsgs")
app_trace=$(per_app "$wall_trace" "$appmsgs")
app_cb=$(per_app "$wall_cb" "$appmsgs_cb")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
printf 'pgroup (online checking):          %8.3f us per application message  (%d messages, %d datagrams, %.3f s wall)\n' \
  "$app_plain" "$appmsgs" "$dgrams" "$wall_plain"
printf 'pgroup (online checking + trace):  %8.3f us per application message  (%.3f s wall)\n' "$app_trace" "$wall_trace"
printf 'pgroup cbcast (process groups):    %8.3f us per application message  (%d messages, %d datagrams, %.3f s wall)\n' \
  "$app_cb" "$appmsgs_cb" "$dgrams_cb" "$wall_cb"
printf 'bare SimGrid:                      %8.3f us per application message  (%d messages)\n' "$best_bare" "$appmsgs"
printf 'ratio per application message:     %8s link level, %s cbcast (online checking); %s link level with trace; target <= 1.5\n' \
  "$(ratio "$app_plain" "$best_bare")" "$(ratio "$app_cb" "$best_bare")" "$(ratio "$app_trace" "$best_bare")"
printf 'datagrams per application message: %8s link level, %s cbcast (standalone acks per data datagram: %.3f); target <= 1.10\n' \
  "$(ratio "$dgrams" "$appmsgs")" "$(ratio "$dgrams_cb" "$appmsgs_cb")" "$acks_per_data"
printf 'per network datagram:              %8.3f us link level, %.3f us cbcast (ratio to bare %s, %s)\n' \
  "$us_plain" "$us_cb" "$(ratio "$us_plain" "$best_bare")" "$(ratio "$us_cb" "$best_bare")"
printf 'cost of writing the trace:         %8.3f us per application message\n' \
  "$(awk -v a="$app_trace" -v b="$app_plain" 'BEGIN{print a-b}')"
printf 'cbcast header:                     %8.1f pg header bytes per multicast\n' \
  "$(awk -v a="$cb_hdr" -v b="$sends_cb" 'BEGIN{print a/b}')"
printf 'pgroup check of the trace:         %8.3f M events/s  (%d events in %.3f s wall, whole command); target >= 1\n' \
  "$(awk -v e="$events" -v s="$best_check" 'BEGIN{print e/s/1e6}')" "$events" "$best_check"
