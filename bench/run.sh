#!/usr/bin/env bash
# Benchmarks isolint on the public corpus of real pytest suites (see docs/benchmarks.md).
#
# usage: bench/run.sh [CORPUS_DIR]        (default: target/corpus, git-ignored)
#
#   1. downloads the corpus into CORPUS_DIR with ../shared/corpus/get-corpus.sh if it is missing;
#   2. builds in release;
#   3. runs the parse-floor bench (cargo bench -p isolint_linter --bench parse_floor) on
#      medium/django, on large (all projects together), on each large project alone, and on the
#      test folders of django, pytest and requests beside their own package (src/ of the corpus);
#   4. times the CLI end to end with hyperfine (1 thread and default threads), if installed;
#   5. reports the CLI's peak memory on large with /usr/bin/time -v, if present.
#
# Environment: ISOLINT_BENCH_RUNS (bench repetitions, best of; default 5), HYPERFINE_RUNS (default
# 10), GET_CORPUS (path of get-corpus.sh, default ../shared/corpus/get-corpus.sh from the repo root).
# The corpus is never to be committed: a CORPUS_DIR inside the repository must be git-ignored.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A CORPUS_DIR given on the command line is relative to the caller's folder; the default to the repo.
CORPUS=${1:-$ROOT/target/corpus}
case "$CORPUS" in
  /*) ;;
  *) CORPUS="$PWD/$CORPUS" ;;
esac
cd "$ROOT"

GET_CORPUS=${GET_CORPUS:-$ROOT/../shared/corpus/get-corpus.sh}
export ISOLINT_BENCH_RUNS=${ISOLINT_BENCH_RUNS:-5}
HYPERFINE_RUNS=${HYPERFINE_RUNS:-10}

die() {
  printf 'bench/run.sh: %s\n' "$*" >&2
  exit 1
}
section() {
  printf '\n== %s\n' "$*"
}
# Timings on a shared machine are only as good as its load: print it before each timed section.
load() {
  printf '(load average: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
}

# --- corpus --------------------------------------------------------------------------------------
if [ ! -e "$CORPUS/large/.ok" ] || [ ! -d "$CORPUS/medium/django" ]; then
  if [ ! -f "$GET_CORPUS" ]; then
    die "no corpus at '$CORPUS' (expected $CORPUS/large and $CORPUS/medium) and no download script at '$GET_CORPUS'.
Pass the folder of an existing corpus, or set GET_CORPUS to the path of get-corpus.sh."
  fi
  # Refuse a download that git would pick up: the corpus must never be committed.
  abs=$(realpath -m "$CORPUS")
  case "$abs/" in
    "$ROOT"/*)
      git -C "$ROOT" check-ignore -q "$abs/" ||
        die "'$CORPUS' is inside the repository and not git-ignored; use target/corpus or a folder outside the repo"
      ;;
  esac
  mkdir -p "$CORPUS"
  section "downloading the corpus into $CORPUS"
  bash "$GET_CORPUS" "$CORPUS"
fi
CORPUS=$(cd "$CORPUS" && pwd)
if [ ! -d "$CORPUS/large" ] || [ ! -d "$CORPUS/medium/django" ]; then
  die "'$CORPUS' has no large/ or medium/django"
fi

LARGE_PROJECTS=()
for dir in "$CORPUS"/large/*/; do
  LARGE_PROJECTS+=("${dir%/}")
done
[ "${#LARGE_PROJECTS[@]}" -gt 0 ] || die "'$CORPUS/large' holds no project"

# --- machine -------------------------------------------------------------------------------------
section "machine"
printf 'date:  %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf 'cores: %s\n' "$(nproc)"
if [ -r /proc/cpuinfo ]; then
  printf 'cpu:   %s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
fi
printf 'rustc: %s\n' "$(rustc --version)"

# --- build ---------------------------------------------------------------------------------------
section "building (release)"
cargo build --release -p isolint
cargo bench -p isolint_linter --bench parse_floor --no-run
. "$ROOT/bench/release_dir.sh"
ISOLINT="$(release_dir)/isolint"
[ -x "$ISOLINT" ] || die "no binary at $ISOLINT after the build"

# --- parse floor vs isolint ----------------------------------------------------------------------
section "parse floor vs isolint (best of $ISOLINT_BENCH_RUNS)"
load
cargo bench -p isolint_linter --bench parse_floor -- \
  "$CORPUS/medium/django" "$CORPUS/large" "${LARGE_PROJECTS[@]}"

# The same with each project's own package beside its tests (the downloaded sources): a run reads
# the modules the tests call into, and the floors parse them too.
WITH_PACKAGE=()
for dir in "$CORPUS"/src/django-*/tests "$CORPUS"/src/pytest-*/testing "$CORPUS"/src/requests-*/tests; do
  [ -d "$dir" ] && WITH_PACKAGE+=("$dir")
done
if [ "${#WITH_PACKAGE[@]}" -gt 0 ]; then
  section "parse floor vs isolint, with the project's own package (best of $ISOLINT_BENCH_RUNS)"
  load
  cargo bench -p isolint_linter --bench parse_floor -- "${WITH_PACKAGE[@]}"
fi

# --- the CLI end to end --------------------------------------------------------------------------
section "CLI end to end"
load
if command -v hyperfine >/dev/null 2>&1; then
  for dir in "$CORPUS/medium/django" "$CORPUS/large"; do
    # --no-cache: these are cold runs; bench/cache.sh measures the warm cache.
    cmd="'$ISOLINT' '$dir' --no-cache --output-format concise --color never --exit-zero > /dev/null"
    hyperfine --warmup 1 --runs "$HYPERFINE_RUNS" \
      -n "${dir#"$CORPUS"/} --threads 1" "$cmd --threads 1" \
      -n "${dir#"$CORPUS"/} default threads" "$cmd"
  done
else
  echo "hyperfine is not installed: skipping the end-to-end timings (apt-get install hyperfine)."
fi

# --- peak memory ---------------------------------------------------------------------------------
section "peak memory (large, default threads)"
load
if [ -x /usr/bin/time ]; then
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  /usr/bin/time -v "$ISOLINT" "$CORPUS/large" --no-cache --output-format concise --color never --exit-zero \
    >/dev/null 2>"$log"
  grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$log" | sed 's/^[[:space:]]*//'
else
  echo "/usr/bin/time is not installed: skipping the peak-memory measurement (apt-get install time)."
fi
