#!/usr/bin/env bash
# isolint against the parse-only floor, in instructions (see docs/benchmarks.md): the same count
# whatever else the machine is doing, where wall and CPU times on a shared machine move by a third.
#
# usage: bench/instructions.sh DIR...
#
# For each DIR, on one thread, under `valgrind --tool=cachegrind --cache-sim=no`:
#   floor    the bench's parse side alone (ISOLINT_BENCH_ONLY=floor): every file isolint reads
#            (the linted files and the project's own modules they call into) parsed once;
#   setup    the same bench process doing nothing but its setup (ISOLINT_BENCH_ONLY=none: reading
#            the files, finding the first-party modules), subtracted from the floor;
#   isolint  the CLI: `isolint check DIR --no-cache --threads 1 --exit-zero --isolated`, run from
#            /tmp so that no configuration around the caller's folder is read.
# and prints floor, isolint and isolint / floor. Needs valgrind (apt-get install valgrind).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$#" -gt 0 ] || { echo "usage: bench/instructions.sh DIR..." >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 || { echo "bench/instructions.sh: valgrind is not installed" >&2; exit 1; }

DIRS=()
for dir in "$@"; do
  [ -d "$dir" ] || { echo "bench/instructions.sh: no folder '$dir'" >&2; exit 1; }
  DIRS+=("$(cd "$dir" && pwd)")
done

cd "$ROOT"
cargo build --release -p isolint >&2
BENCH=$(cargo bench -p isolint_linter --bench parse_floor --no-run 2>&1 |
  sed -n 's/.*(\(.*\/release\/deps\/parse_floor-[0-9a-f]*\)).*/\1/p' | tail -1)
[ -x "$BENCH" ] || { echo "bench/instructions.sh: the parse_floor bench did not build" >&2; exit 1; }
. "$ROOT/bench/release_dir.sh"
ISOLINT="$(release_dir)/isolint"

# The instruction count of one command (cachegrind's "I refs").
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}

printf '%-40s %14s %14s %8s\n' "folder" "floor" "isolint" "ratio"
for dir in "${DIRS[@]}"; do
  export RAYON_NUM_THREADS=1 ISOLINT_BENCH_RUNS=1
  setup=$(ISOLINT_BENCH_ONLY=none count "$BENCH" "$dir")
  parsed=$(ISOLINT_BENCH_ONLY=floor count "$BENCH" "$dir")
  linted=$(cd /tmp && count "$ISOLINT" check "$dir" --no-cache --threads 1 --exit-zero \
    --output-format concise --isolated)
  floor=$((parsed - setup))
  printf '%-40s %14d %14d %8s\n' "$(basename "$(dirname "$dir")")/$(basename "$dir")" "$floor" "$linted" \
    "$(awk -v a="$linted" -v b="$floor" 'BEGIN { printf "%.2fx", a / b }')"
done
