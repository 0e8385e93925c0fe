#!/usr/bin/env bash
# Applies `isolint --fix` to real suites in a scratch copy and checks what it did (see
# docs/fix.md, "Checking --fix on real suites"):
#
#   bench/fix_corpus.sh [SCRATCH]
#
# For each suite: copy it (never touching the original), lint it, run `--fix`, then check that
#   - every changed Python file still compiles (`python3 -m py_compile`),
#   - no finding with a safe fix is reported any more (what was fixed is gone),
#   - a second `--fix` changes nothing (`--diff` prints nothing and exits 0),
#   - for the e2e suites (which run without services), their tests pass after the fix as before.
# Prints one row per suite; exits 1 when a check fails.
#
# Suites: every folder of $CORPUS/medium and $CORPUS/large, and the e2e suites of bench/e2e/run.sh
# ($E2E_WORK/src/NAME with the venvs of $E2E_VENVS/NAME; run bench/e2e/run.sh first to make them).
#
# Environment: ISOLINT (default target/release/isolint of this repository), CORPUS (default
# /work/corpus), E2E_WORK (default /work/e2e-work), E2E_VENVS (default /work/e2e-venvs), PYTHON
# (default python3), UNSAFE (set: also --unsafe-fixes), TIMEOUT (seconds per pytest run, default
# 300), SUITES (space-separated names to run, default all).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
ISOLINT="${ISOLINT:-$repo/target/release/isolint}"
CORPUS="${CORPUS:-/work/corpus}"
WORK="${E2E_WORK:-/work/e2e-work}"
VENVS="${E2E_VENVS:-/work/e2e-venvs}"
PYTHON="${PYTHON:-python3}"
TIMEOUT="${TIMEOUT:-300}"
SCRATCH="${1:-$(mktemp -d "${TMPDIR:-/tmp}/isolint-fix-corpus.XXXXXX")}"

[ -x "$ISOLINT" ] || { echo "isolint binary not found at $ISOLINT (set ISOLINT or build it)" >&2; exit 2; }
mkdir -p "$SCRATCH"

fix_flags=(--fix)
diff_flags=(--diff)
applicable=safe
if [ -n "${UNSAFE:-}" ]; then
  fix_flags+=(--unsafe-fixes)
  diff_flags+=(--unsafe-fixes)
  applicable='safe|unsafe'
fi

# name | source folder | venv (empty: no test run) | extra pytest arguments (as in bench/e2e/run.sh)
suites=()
for size in medium large; do
  for dir in "$CORPUS/$size"/*/; do
    [ -d "$dir" ] && suites+=("$size-$(basename "$dir")|${dir%/}||")
  done
done
suites+=(
  "e2e-cookiecutter|$WORK/src/cookiecutter|$VENVS/cookiecutter|-o addopts="
  "e2e-pyexcel|$WORK/src/pyexcel|$VENVS/pyexcel|"
  "e2e-pyexcel-io|$WORK/src/pyexcel-io|$VENVS/pyexcel-io|--deselect tests/test_issues.py::test_issue_43"
  "e2e-pyexcel-xls|$WORK/src/pyexcel-xls|$VENVS/pyexcel-xls|"
  "e2e-pyexcel-ods3|$WORK/src/pyexcel-ods3|$VENVS/pyexcel-ods3|"
)

# Runs the suite's tests in a copy of $1 with the venv $2; prints `passed/failed` counts as pytest
# reports them (`12p/0f`), or `timeout`.
run_tests() {
  local tree="$1" venv="$2" log="$3"
  shift 3
  local copy="$tree.testrun"
  rm -rf "$copy"
  cp -a "$tree" "$copy"
  local status=0
  (cd "$copy" && timeout "$TIMEOUT" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" tests \
    >"$log" 2>&1) || status=$?
  rm -rf "$copy"
  if [ "$status" -eq 124 ]; then
    echo timeout
    return
  fi
  local line passed failed errors
  line="$(grep -E '(passed|failed|error)' "$log" | tail -1)"
  passed="$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)"
  failed="$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)"
  errors="$(echo "$line" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)"
  echo "${passed}p/$((failed + errors))f"
}

failures=0
rows=()
for entry in "${suites[@]}"; do
  IFS='|' read -r name source venv extra <<<"$entry"
  if [ -n "${SUITES:-}" ] && [[ " $SUITES " != *" $name "* ]]; then continue; fi
  if [ ! -d "$source" ]; then
    echo "skipping $name: $source not found" >&2
    continue
  fi
  echo "== $name" >&2
  pristine="$SCRATCH/$name.orig"
  tree="$SCRATCH/$name"
  rm -rf "$pristine" "$tree"
  cp -a "$source" "$pristine"
  cp -a "$source" "$tree"
  read -r -a extra_args <<<"$extra"
  logs="$SCRATCH/$name.logs"
  mkdir -p "$logs"

  tests_before="-"
  if [ -n "$venv" ] && [ -x "$venv/bin/python" ]; then
    tests_before="$(run_tests "$pristine" "$venv" "$logs/tests-before.log" "${extra_args[@]}")"
  fi

  (cd "$tree" && "$ISOLINT" --output-format json-lines --exit-zero >"$logs/before.jsonl" 2>"$logs/before.err") || true
  fixable="$(grep -cE "\"applicability\":\"($applicable)\"" "$logs/before.jsonl" || true)"
  (cd "$tree" && "$ISOLINT" "${fix_flags[@]}" --exit-zero --output-format json-lines \
    >"$logs/after.jsonl" 2>"$logs/fix.err") || true
  applied="$(grep -oE 'fixed [0-9]+ finding' "$logs/fix.err" | grep -oE '[0-9]+' || echo 0)"
  # Per code: the findings with an applicable fix before minus those after (what --fix removed).
  by_code="$("$PYTHON" - "$logs/before.jsonl" "$logs/after.jsonl" "${UNSAFE:+unsafe}" <<'PY'
import collections, json, sys
kinds = {"safe"} | ({"unsafe"} if sys.argv[3] else set())
def count(path):
    found = collections.Counter()
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)
            if d.get("applicability") in kinds:
                found[d.get("code")] += 1
    return found
before, after = count(sys.argv[1]), count(sys.argv[2])
print(" ".join(f"{c}:{before[c] - after[c]}" for c in sorted(before) if before[c] - after[c]) or "-")
PY
)"

  # Changed Python files, and whether each still compiles.
  changed=0
  parse_failures=0
  while IFS= read -r -d '' file; do
    rel="${file#"$tree"/}"
    if ! cmp -s "$file" "$pristine/$rel"; then
      changed=$((changed + 1))
      # Compiled from a copy: py_compile must not leave __pycache__ in the tree.
      if ! "$PYTHON" -c 'import sys; compile(open(sys.argv[1], "rb").read(), sys.argv[1], "exec")' "$file" \
        2>>"$logs/compile.err"; then
        parse_failures=$((parse_failures + 1))
        echo "does not compile: $rel" >>"$logs/compile.err"
      fi
    fi
  done < <(find "$tree" -name '*.py' -type f -print0)
  diff -ru "$pristine" "$tree" >"$logs/fix.diff" 2>/dev/null || true

  # What --fix fixed is no longer reported: no safe fix is left.
  still_fixable="$(grep -c '"applicability":"safe"' "$logs/after.jsonl" || true)"
  # A second --fix changes nothing.
  second_status=0
  (cd "$tree" && "$ISOLINT" "${diff_flags[@]}" >"$logs/second.diff" 2>"$logs/second.err") || second_status=$?
  second_changes="$(grep -c '^+++ ' "$logs/second.diff" || true)"

  tests_after="-"
  if [ -n "$venv" ] && [ -x "$venv/bin/python" ]; then
    tests_after="$(run_tests "$tree" "$venv" "$logs/tests-after.log" "${extra_args[@]}")"
  fi

  ok=yes
  if [ "$parse_failures" -ne 0 ] || [ "$still_fixable" -ne 0 ] || [ "$second_changes" -ne 0 ] \
    || [ "$second_status" -ne 0 ] || [ "$tests_before" != "$tests_after" ]; then
    ok=NO
    failures=$((failures + 1))
  fi
  rows+=("$name|$fixable|$applied|$changed|$parse_failures|$still_fixable|$second_changes|$tests_before|$tests_after|$ok|$by_code")
done

printf '%-22s %8s %8s %8s %8s %8s %8s %12s %12s %4s  %s\n' suite fixable applied files parse-err left-safe 2nd-run tests-before tests-after ok fixed-by-code
for row in "${rows[@]}"; do
  IFS='|' read -r -a c <<<"$row"
  printf '%-22s %8s %8s %8s %8s %8s %8s %12s %12s %4s  %s\n' "${c[@]}"
done
echo "scratch: $SCRATCH" >&2
[ "$failures" -eq 0 ]
