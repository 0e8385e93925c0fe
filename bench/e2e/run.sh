#!/usr/bin/env bash
# End-to-end check of isolint's xdist groups on public suites that fail under `pytest -n 2` because
# their tests share fixed paths (see docs/e2e.md).
#
#   bench/e2e/run.sh SUITE|all
#
# For each suite: download the pinned sdist from PyPI (pip), make a Python 3.11 venv with pinned
# dependencies, run `isolint audit --format json`, then run the tests serially once, with `-n 2`
# RUNS times, and with `-n 2 --dist loadgroup -p xdist_groups` (the audit's groups as markers) RUNS
# times, each run on a fresh copy of the sdist; as a control, also with the groups implied by the traced
# ground truth (ground-truth/SUITE.groups.json, from trace_paths.py). Prints a table.
#
# Environment: ISOLINT (binary, default target/release/isolint of this repository), E2E_WORK (default
# /work/e2e-work), E2E_VENVS (default /work/e2e-venvs), PYTHON (default python3.11), RUNS (default 3),
# GROUPS_ONLY (set: only the runs with the audit's groups, no serial, plain or control runs),
# TIMEOUT (seconds per pytest run, default 180).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ISOLINT="${ISOLINT:-$repo/target/release/isolint}"
WORK="${E2E_WORK:-/work/e2e-work}"
VENVS="${E2E_VENVS:-/work/e2e-venvs}"
PYTHON="${PYTHON:-python3.11}"
RUNS="${RUNS:-3}"
# A worker killed by a signal (pyexcel: SIGBUS reading a spreadsheet another worker truncates) can
# leave pytest-xdist's controller waiting: no suite here needs more than a minute.
TIMEOUT="${TIMEOUT:-180}"

# name | sdist requirement | test dependencies | extra pytest arguments
SUITES=(
  "cookiecutter|cookiecutter==2.7.1|pytest-mock freezegun|-o addopts="
  "pyexcel|pyexcel==0.7.6|pyexcel-xlsx pyexcel-xls pyexcel-text SQLAlchemy psutil chardet flask pyexcel-pygal|"
  "pyexcel-io|pyexcel-io==0.6.8|pyexcel pyexcel-xls SQLAlchemy pyexcel-xlsxw chardet PyYAML|--deselect tests/test_issues.py::test_issue_43"
  "pyexcel-xls|pyexcel-xls==0.7.1|nose pyexcel|"
)
# test_issue_43 (pyexcel-io) downloads a file from GitHub: it fails offline, serially too.

usage() {
  echo "usage: $0 SUITE|all   (suites: $(for s in "${SUITES[@]}"; do printf '%s ' "${s%%|*}"; done))" >&2
  exit 2
}

[ $# -eq 1 ] || usage
[ -x "$ISOLINT" ] || { echo "isolint binary not found at $ISOLINT (set ISOLINT or build it)" >&2; exit 2; }
command -v "$PYTHON" >/dev/null || { echo "$PYTHON not found" >&2; exit 2; }

selected=()
for s in "${SUITES[@]}"; do
  if [ "$1" = all ] || [ "$1" = "${s%%|*}" ]; then selected+=("$s"); fi
done
[ ${#selected[@]} -gt 0 ] || usage

mkdir -p "$WORK/sdists" "$WORK/logs" "$WORK/audit" "$VENVS"

# Prints the path of the sdist of requirement $1 (`name==version`), downloading it if needed.
sdist_pattern() {
  local project="${1%%==*}" version="${1##*==}"
  echo "^$(echo "$project" | sed 's/[-_.]/[-_.]/g')-${version//./\\.}\.tar\.gz\$"
}
fetch_sdist() {
  local req="$1" file
  file="$(ls "$WORK/sdists/" | grep -iE "$(sdist_pattern "$req")" || true)"
  if [ -z "$file" ]; then
    "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: "$req" -d "$WORK/sdists" >&2
    file="$(ls "$WORK/sdists/" | grep -iE "$(sdist_pattern "$req")")"
  fi
  echo "$WORK/sdists/$file"
}

# Fresh copy of the sdist in $WORK/src/$name (tests leave files behind when they fail).
fresh_tree() {
  local name="$1" tarball="$2" top
  rm -rf "$WORK/src/$name" "$WORK/src/.extract-$name"
  mkdir -p "$WORK/src/.extract-$name"
  tar xzf "$tarball" -C "$WORK/src/.extract-$name"
  top="$(ls "$WORK/src/.extract-$name")"
  mv "$WORK/src/.extract-$name/$top" "$WORK/src/$name"
  rmdir "$WORK/src/.extract-$name"
}

make_venv() {
  local name="$1" tarball="$2" deps="$3" venv="$VENVS/$1"
  local stamp="$venv/.e2e-$(basename "$tarball")-$(cksum < "$here/constraints/$name.txt" | cut -d' ' -f1)"
  [ -f "$stamp" ] && return 0
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # shellcheck disable=SC2086 # the dependency list is split on purpose
  "$venv/bin/python" -m pip install --quiet -c "$here/constraints/$name.txt" \
    "pytest<9.2" pytest-xdist "$tarball" $deps
  touch "$stamp"
}

# Runs pytest on a fresh tree; prints `pass`, or `FAIL(n)` with n failed + errored tests. $4 is the
# audit whose groups the xdist_groups plugin applies (empty: none).
run_pytest() {
  local name="$1" tarball="$2" log="$3" groups="$4"
  shift 4
  fresh_tree "$name" "$tarball"
  local status=0
  # Through a pipe, not straight into the log: the workers inherit pytest's stdout, and a suite that
  # lists its open files (pyexcel's test_issue_83_*) would see the other worker move the log's offset.
  (cd "$WORK/src/$name" && PYTHONPATH="$here" ISOLINT_AUDIT_JSON="$groups" timeout "$TIMEOUT" "$VENVS/$name/bin/python" -m pytest \
    -q -p no:cacheprovider -rfE "$@" tests 2>&1 | cat >"$log"; exit "${PIPESTATUS[0]}") || status=$?
  local failed crashed=""
  failed="$(grep -cE '^(FAILED|ERROR) ' "$log" || true)"
  if grep -q "node down" "$log"; then crashed="+worker crash"; fi
  if [ "$status" -eq 0 ]; then
    echo pass
  elif [ "$status" -eq 124 ]; then
    echo "HANG(timeout${crashed})"
  elif [ "$failed" -gt 0 ]; then
    echo "FAIL($failed${crashed})"
  else
    echo "CRASH(exit $status${crashed})"
  fi
}

rows=()
for s in "${selected[@]}"; do
  IFS='|' read -r name req deps extra <<<"$s"
  read -r -a extra_args <<<"$extra"
  echo "== $name ($req)" >&2
  tarball="$(fetch_sdist "$req")"
  make_venv "$name" "$tarball" "$deps"

  fresh_tree "$name" "$tarball"
  audit="$WORK/audit/$name.json"
  rm -f "$audit"
  # From the suite's folder, as a user would run it there.
  (cd "$WORK/src/$name" && "$ISOLINT" audit --format json --output "$audit" >"$WORK/logs/$name.audit.log" 2>&1) || true
  [ -s "$audit" ] || { echo "isolint audit wrote no report for $name (see $WORK/logs/$name.audit.log)" >&2; exit 1; }

  summary="$WORK/audit/$name.groups.json"
  rm -f "$summary"
  (cd "$WORK/src/$name" && PYTHONPATH="$here" ISOLINT_AUDIT_JSON="$audit" ISOLINT_GROUPS_SUMMARY="$summary" \
    "$VENVS/$name/bin/python" -m pytest -q -p no:cacheprovider -p xdist_groups --collect-only \
    "${extra_args[@]}" tests >"$WORK/logs/$name.collect.log" 2>&1) || true
  grouped="$("$PYTHON" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print("{}/{} in {} groups".format(s["items_marked"], s["items_collected"], s["groups_applied"]))' "$summary" 2>/dev/null || echo "?")"

  "$PYTHON" "$here/compare.py" "$audit" "$here/ground-truth/$name.groups.json" >"$WORK/logs/$name.compare.log"
  coverage="$(sed -n '1{s/shared paths covered: //; s/; tests covered: / paths, /; s/$/ tests/; p}' "$WORK/logs/$name.compare.log")"
  echo "   traced ground truth covered by the audit's groups: $coverage" >&2

  serial="skipped"
  [ -n "${GROUPS_ONLY:-}" ] || serial="$(run_pytest "$name" "$tarball" "$WORK/logs/$name.serial.log" "" "${extra_args[@]}")"
  echo "   serial: $serial" >&2
  plain=()
  grouped_runs=()
  for i in $(seq 1 "$RUNS"); do
    [ -n "${GROUPS_ONLY:-}" ] && break
    plain+=("$(run_pytest "$name" "$tarball" "$WORK/logs/$name.n2.$i.log" "" -n 2 "${extra_args[@]}")")
    echo "   -n 2 run $i: ${plain[-1]}" >&2
  done
  for i in $(seq 1 "$RUNS"); do
    grouped_runs+=("$(run_pytest "$name" "$tarball" "$WORK/logs/$name.groups.$i.log" "$audit" \
      -n 2 --dist loadgroup -p xdist_groups "${extra_args[@]}")")
    echo "   -n 2 loadgroup run $i: ${grouped_runs[-1]}" >&2
  done
  # Control: the groups implied by the traced ground truth (ground-truth/$name.groups.json). Green runs
  # here show that the listed shared paths are all that breaks `-n 2`.
  control_runs=()
  for i in $(seq 1 "$RUNS"); do
    [ -n "${GROUPS_ONLY:-}" ] && break
    control_runs+=("$(run_pytest "$name" "$tarball" "$WORK/logs/$name.control.$i.log" "$here/ground-truth/$name.groups.json" \
      -n 2 --dist loadgroup -p xdist_groups "${extra_args[@]}")")
    echo "   -n 2 loadgroup traced groups run $i: ${control_runs[-1]}" >&2
  done
  rows+=("| $name | $req | $serial | ${plain[*]} | ${grouped_runs[*]} | $grouped | $coverage | ${control_runs[*]} |")
done

echo
echo "isolint: $("$ISOLINT" --version 2>/dev/null || echo unknown)"
echo
echo "| suite | version | serial | -n 2 ($RUNS runs) | -n 2 --dist loadgroup + audit groups ($RUNS runs) | tests grouped by the audit | traced ground truth covered | control: traced groups ($RUNS runs) |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Logs in $WORK/logs (SUITE.compare.log: the shared paths the audit's groups miss); audits in $WORK/audit."
