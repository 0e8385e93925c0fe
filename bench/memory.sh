#!/usr/bin/env bash
# Peak memory against the size of the suite (see docs/benchmarks.md): is it flat in the number of
# files?
#
# usage: bench/memory.sh CORPUS_DIR        (the folder get-corpus.sh filled: CORPUS_DIR/large/...)
#
# Runs `isolint check DIR --no-cache --exit-zero --isolated` (default threads, from /tmp) under
# /usr/bin/time on an empty folder, a quarter of `large` (sqlalchemy, scikit-learn, pytest,
# requests), a half (those and pandas) and all of it, and prints each run's maximum resident set
# size with the source size, then the resident bytes each further byte of source costs. The quarter
# and half are hard-link copies in a temporary folder beside `large` (the walk follows no symlinks),
# removed at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$#" -eq 1 ] || { echo "usage: bench/memory.sh CORPUS_DIR" >&2; exit 2; }
LARGE=$(cd "$1/large" && pwd) || { echo "bench/memory.sh: no '$1/large'" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/memory.sh: /usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }

cd "$ROOT"
cargo build --release -p isolint >&2
. "$ROOT/bench/release_dir.sh"
ISOLINT="$(release_dir)/isolint"

WORK=$(mktemp -d "$LARGE/../.isolint-memory.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/empty" "$WORK/quarter" "$WORK/half"
for project in sqlalchemy scikit-learn pytest requests; do
  [ -d "$LARGE/$project" ] || { echo "bench/memory.sh: no '$LARGE/$project'" >&2; exit 1; }
  cp -al "$LARGE/$project" "$WORK/quarter/"
  cp -al "$LARGE/$project" "$WORK/half/"
done
cp -al "$LARGE/pandas" "$WORK/half/"

# Bytes of Python source under a folder.
source_bytes() {
  find "$1" -name '*.py' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}
# Maximum resident set size of one run, in bytes.
peak() {
  (cd /tmp && /usr/bin/time -f '%M' "$ISOLINT" check "$1" --no-cache --exit-zero \
    --output-format concise --isolated 2>&1 >/dev/null | tail -1) | awk '{ print $1 * 1024 }'
}

printf '%-8s %12s %12s %14s\n' "corpus" "source MB" "peak MB" "bytes/byte"
base=$(peak "$WORK/empty")
printf '%-8s %12s %12.1f %14s\n' "empty" "0" "$(awk -v b="$base" 'BEGIN { print b / 1e6 }')" "-"
for name in quarter half all; do
  dir="$WORK/$name"
  [ "$name" = all ] && dir="$LARGE"
  bytes=$(source_bytes "$dir")
  rss=$(peak "$dir")
  awk -v n="$name" -v s="$bytes" -v r="$rss" -v b="$base" \
    'BEGIN { printf "%-8s %12.1f %12.1f %14.2f\n", n, s / 1e6, r / 1e6, (r - b) / s }'
done
