#!/usr/bin/env bash
# Layers call down, never up (issue 14): fails if a file of core/ calls a
# function defined in a file of a higher layer, includes a header of a higher
# layer, or reads the state of a higher layer of the group stack.
#   tests/layering.sh [CORE_DIR]
# The layer of every file of core/ is listed below, bottom first; a file not
# listed fails the test, so that a new file has to be placed. Within a layer
# anything goes. A function belongs to the layer of the file that defines it
# (non-static definitions at the start of a line); a call is its name
# followed by "(" outside comments and strings.
set -u
core=${1:-$(cd "$(dirname "$0")/.." && pwd)/core}

# file layer (bottom first): env, link (Table 2), group (Table 1, the stack
# of the paper: views and flush, cbcast, abcast, domains, clients, state
# transfer, then the API), the node, tools above pg.h.
layers='
env.h 0
err.h 0
err.c 0
wire.h 1
wire.c 1
phys.h 2
phys.c 2
pg.h 3
pg_wire.h 3
pg_wire.c 3
pg_base.h 4
pg_view_state.h 4
pg_cbcast_state.h 4
pg_base.c 4
pg_view.h 5
pg_view.c 5
pg_cbcast.h 6
pg_cbcast.c 6
pg_abcast.h 7
pg_abcast.c 7
pg_domain.h 8
pg_domain.c 8
pg_client.h 9
pg_client.c 9
pg_state.h 10
pg_state.c 10
pg.c 11
node.h 12
node.c 12
reply.h 13
reply.c 13
hier.h 14
hier_internal.h 14
hier.c 14
hier_sub.c 14
'
# state of a layer of the group stack embedded in struct pg_group: field -> layer
fields='vw 5
cb 6'

declare -A layer
while read -r f l; do [ -n "$f" ] && layer[$f]=$l; done <<<"$layers"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "layering: $*"; fail=1; }

# Source without comments, strings and character literals (cpp -fpreprocessed
# drops comments and keeps directives; strings are blanked after).
strip() {
  gcc -fpreprocessed -dD -E -P -x c "$1" 2>/dev/null |
    sed -E 's/"([^"\\]|\\.)*"/""/g; s/'"'"'([^'"'"'\\]|\\.)*'"'"'/0/g'
}

files=()
for p in $(find "$core" -name '*.[ch]' | sort); do
  f=$(basename "$p")
  if [ -z "${layer[$f]:-}" ]; then
    say "$f has no layer: add it to tests/layering.sh"
    continue
  fi
  files+=("$p")
  strip "$p" >"$tmp/$f"
done

# Where each non-static function is defined. Headers declare the functions
# of their layer (pg.h: the group layer's API, defined in pg.c and above):
# calls are checked in .c files only.
: >"$tmp/defs"
for p in "${files[@]}"; do
  f=$(basename "$p")
  case $f in *.c) ;; *) continue ;; esac
  grep -E '^[A-Za-z_][A-Za-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(' "$tmp/$f" | grep -vE '^(static|typedef)' |
    sed -E 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' |
    while read -r fn; do echo "$fn ${layer[$f]} $f"; done >>"$tmp/defs"
done
[ -s "$tmp/defs" ] || say "no function definitions found under $core"

declare -A def_layer def_file
while read -r fn l f; do def_layer[$fn]=$l def_file[$fn]=$f; done <"$tmp/defs"

for p in "${files[@]}"; do
  f=$(basename "$p") mine=${layer[$f]}
  # includes of a higher layer (from the source itself: stripping keeps them)
  while read -r inc; do
    [ -z "$inc" ] && continue
    il=${layer[$inc]:-}
    [ -z "$il" ] && continue
    if [ "$il" -gt "$mine" ]; then
      say "$f (layer $mine) includes $inc (layer $il)"
    fi
    case $inc in pg_view_state.h | pg_cbcast_state.h) case $f in pg_base.h | pg_*_state.h) ;; *) say "$f includes $inc: only pg_base.h embeds a layer's state" ;; esac ;; esac
  done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$p" | xargs -rn1 basename)
  # calls of functions defined higher (in .c files: a header only declares)
  case $f in *.c) ;; *) : >"$tmp/$f" ;; esac
  while read -r fn; do
    dl=${def_layer[$fn]:-}
    [ -z "$dl" ] && continue
    if [ "$dl" -gt "$mine" ]; then
      say "$f (layer $mine) calls $fn of ${def_file[$fn]} (layer $dl)"
    fi
  done < <(grep -oE '\b[a-z_][a-z0-9_]*[[:space:]]*\(' "$tmp/$f" | sed -E 's/[[:space:]]*\($//' | sort -u)
  # the state of a higher layer of the group stack
  while read -r fld fl; do
    if [ "$fl" -gt "$mine" ] && grep -qE "(->|\.)$fld\.[a-z_]" "$tmp/$f"; then
      say "$f (layer $mine) reads ->$fld. (the state of layer $fl)"
    fi
  done <<<"$fields"
done

if [ $fail -eq 0 ]; then
  echo "layering: ${#files[@]} files of core/, $(wc -l <"$tmp/defs") functions: every call and include goes down"
fi
exit $fail
