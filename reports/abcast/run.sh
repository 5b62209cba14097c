#!/usr/bin/env bash
# Send-to-delivery latency of abcast vs cbcast, one sender vs four, token
# follow vs fixed (5 members, built-in cluster: 50us links, no loss).
# usage: reports/abcast/run.sh [PGROUP]   (default build/release/pgroup)
set -euo pipefail
pgroup=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/release/pgroup}
dir=$(cd "$(dirname "$0")" && pwd)
for s in one-cbcast one-abcast-follow one-abcast-fixed four-cbcast four-abcast-follow four-abcast-fixed; do
  echo "== $s"
  "$pgroup" run "$dir/$s.scn" --brief | grep -E '^(latency|abcast:|verdict)'
done
