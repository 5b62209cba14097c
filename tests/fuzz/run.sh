#!/usr/bin/env bash
# Builds one libFuzzer target with clang and runs it for a bounded time.
# usage: run.sh SOURCE_DIR BUILD_DIR TARGET SECONDS
set -euo pipefail
src=$1 build=$2 target=$3 seconds=$4
command -v clang >/dev/null || { echo "clang not found: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
# Configured every time (cheap): which targets exist depends on which fuzz_*.c
# files exist, and an old build directory must not hide a new target or source.
cmake -S "$src/tests/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" --target "$target" -j2 >/dev/null
corpus="$build/corpus_$target"
mkdir -p "$corpus"
seeds=()
[ -d "$src/tests/fuzz/seeds_$target" ] && seeds=("$src/tests/fuzz/seeds_$target")
cd "$build"
# -seed fixed: the run is repeatable; a crash leaves crash-* in $build to reproduce with.
"$build/$target" -seed=1 -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
  "$corpus" "${seeds[@]}" 2>&1 | tail -n 15
