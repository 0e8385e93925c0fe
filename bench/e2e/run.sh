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
# shellcheck source=bench/e2e/lib.sh
source "$here/lib.sh"

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
    "$(venv_of "$name")/bin/python" -m pytest -q -p no:cacheprovider -p xdist_groups --collect-only \
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
