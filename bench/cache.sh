#!/usr/bin/env bash
# The warm cache: a first (cold) run against later (warm) runs over an unchanged suite, and
# `ruff check` warm on the same files, for scale (see docs/benchmarks.md, "The warm cache").
#
# usage: bench/cache.sh [CORPUS_DIR]     (default: target/corpus, as bench/run.sh downloads it)
#
# For each of CORPUS_DIR/medium and CORPUS_DIR/large: isolint with a fresh cache folder (cold: the
# per-file step runs for every file and writes its entry), then REPEAT warm runs on the same
# folder; `isolint --no-cache` (the run without the cache's writes); ruff once to fill its cache,
# then REPEAT warm runs. Every run prints concise findings to /dev/null. Each line gives the best
# and the median of wall time and of user+sys CPU time: on a shared machine the CPU time is the
# steadier of the two.
#
# Environment: REPEAT (default 5), RUFF (a ruff binary; default `ruff` on PATH, else one installed
# with pip into a virtualenv in the work folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=${1:-$ROOT/target/corpus}
case "$CORPUS" in
  /*) ;;
  *) CORPUS="$PWD/$CORPUS" ;;
esac
REPEAT=${REPEAT:-5}
cd "$ROOT"

for suite in medium large; do
  [ -d "$CORPUS/$suite" ] || {
    echo "bench/cache.sh: no $CORPUS/$suite (bench/run.sh downloads the corpus)" >&2
    exit 1
  }
done

nice -n 10 cargo build --release -p isolint >/dev/null
. "$ROOT/bench/release_dir.sh"
BIN="$(release_dir)/isolint"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

RUFF=${RUFF:-$(command -v ruff || true)}
if [ -z "$RUFF" ]; then
  python3 -m venv "$WORK/ruff-venv" >/dev/null
  "$WORK/ruff-venv/bin/pip" install --quiet ruff >/dev/null
  RUFF=$WORK/ruff-venv/bin/ruff
fi

# One timed run: prints "wall cpu" in seconds (cpu = user + sys of the command).
timed() {
  /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || [ $? -eq 1 ]
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$WORK/time"
}

# Best and median of the "wall cpu" lines on standard input.
summarise() {
  python3 -c '
import statistics, sys
runs = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
wall, cpu = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
print("wall best %6.3f s  median %6.3f s   cpu best %6.3f s  median %6.3f s  (%d runs)"
      % (wall[0], statistics.median(wall), cpu[0], statistics.median(cpu), len(runs)))'
}

printf '%s, %s\n' "$("$BIN" --version)" "$("$RUFF" --version)"
printf 'cores: %s; load average: %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
for suite in medium large; do
  dir=$CORPUS/$suite
  files=$(find "$dir" -name '*.py' | wc -l)
  printf '\n== %s (%s Python files)\n' "$suite" "$files"
  args=("$dir" --output-format concise --color never --exit-zero)
  cache=$WORK/isolint-$suite
  cold=$(for _ in $(seq "$REPEAT"); do
    rm -rf "$cache"
    timed "$BIN" "${args[@]}" --cache-dir "$cache"
  done)
  printf '%-22s %s\n' "isolint cold" "$(summarise <<<"$cold")"
  warm=$(for _ in $(seq "$REPEAT"); do timed "$BIN" "${args[@]}" --cache-dir "$cache"; done)
  printf '%-22s %s\n' "isolint warm" "$(summarise <<<"$warm")"
  printf '%-22s %s\n' "isolint --no-cache" \
    "$(for _ in $(seq "$REPEAT"); do timed "$BIN" "${args[@]}" --no-cache; done | summarise)"
  # The warm run must print what the cold one printed.
  cmp -s <("$BIN" "${args[@]}" --no-cache) <("$BIN" "${args[@]}" --cache-dir "$cache") ||
    { echo "bench/cache.sh: warm output differs from --no-cache on $suite" >&2; exit 1; }
  ruff_cache=$WORK/ruff-$suite
  "$RUFF" check "$dir" --cache-dir "$ruff_cache" --exit-zero --quiet --output-format concise >/dev/null 2>&1 || true
  printf '%-22s %s\n' "ruff check warm" \
    "$(for _ in $(seq "$REPEAT"); do
      timed "$RUFF" check "$dir" --cache-dir "$ruff_cache" --exit-zero --quiet --output-format concise
    done | summarise)"
  printf '%-22s %s\n' "cache size" "$(du -sh "$cache" | cut -f1) in $(find "$cache" -type f | wc -l) files"
done
