#!/usr/bin/env bash
# One big test module must cost about what the same tests spread over many modules cost (issue 18:
# the env-leak rule and the project stage used to scan every test of the file per finding).
#
# usage: bench/big_file.sh [N...]      (default: 10000 20000 40000 tests)
#
# For each N, writes N tests with findings of every built family (bench/big_file.py) once as one
# module and once over 40 modules, and times a release build on both with one thread. Per doubling
# of N the time should double, not quadruple, and one file should stay within about 2x of 40 files.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 20000 40000)

nice -n 10 cargo build --release -p isolint >/dev/null
. "$ROOT/bench/release_dir.sh"
BIN="$(release_dir)/isolint"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null || [ $? -eq 1 ]
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
printf '%8s  %10s  %10s  %s\n' tests one-file 40-files findings
for n in "${SIZES[@]}"; do
  python3 bench/big_file.py "$n" "$WORK/one$n"
  python3 bench/big_file.py "$n" "$WORK/many$n" --files 40
  one=$(seconds "$BIN" "$WORK/one$n" --no-cache --threads 1 --quiet --output-format concise)
  many=$(seconds "$BIN" "$WORK/many$n" --no-cache --threads 1 --quiet --output-format concise)
  findings=$("$BIN" "$WORK/one$n" --no-cache --quiet --output-format concise | wc -l || true)
  printf '%8s  %9ss  %9ss  %s\n' "$n" "$one" "$many" "$findings"
done
