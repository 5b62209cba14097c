#!/usr/bin/env bash
# Assert density of core/ (issue 14: two per function on average).
#   tests/tools/assert_count.sh [CORE_DIR]
# Per .c file: functions (definitions: a line at column 0 that names a
# function and opens its body on the next line, the house style), assert()
# calls in them, and the ratio; then the total, with _Static_assert counted
# apart (in .c and .h files). Comments are stripped before counting.
set -u
core=${1:-$(cd "$(dirname "$0")/../.." && pwd)/core}
strip() { gcc -fpreprocessed -dD -E -P -x c "$1" 2>/dev/null; }
tf=0 ta=0 ts=0
printf '%-22s %9s %8s %8s\n' file functions asserts per_fn
for p in $(find "$core" -name '*.c' | sort); do
  src=$(strip "$p")
  f=$(awk 'prev ~ /^[A-Za-z_].*[a-z0-9_]\(/ && $0 == "{" {n++} {prev=$0} END {print n+0}' <<<"$src")
  a=$(grep -oE '(^|[^_A-Za-z])assert\(' <<<"$src" | wc -l)
  tf=$((tf + f)) ta=$((ta + a))
  printf '%-22s %9d %8d %8.2f\n' "${p#"$core"/}" "$f" "$a" "$(awk -v a="$a" -v f="$f" 'BEGIN{print f ? a/f : 0}')"
done
for p in $(find "$core" -name '*.[ch]'); do
  ts=$((ts + $(strip "$p" | grep -oE '_Static_assert\(' | wc -l)))
done
printf '%-22s %9d %8d %8.2f\n' total "$tf" "$ta" "$(awk -v a="$ta" -v f="$tf" 'BEGIN{print f ? a/f : 0}')"
echo "static asserts: $ts"
