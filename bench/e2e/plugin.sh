#!/usr/bin/env bash
# pytest-isolint on the public suites of docs/e2e.md: each suite under plain `pytest -n 2`, then
# under `pytest -n 2 --dist loadgroup -p isolint` (the plugin runs `isolint audit` itself and
# schedules the groups), RUNS times each, every run on a fresh copy of the sdist.
#
#   nice bench/e2e/plugin.sh SUITE|all
#
# The plugin is loaded from python/ of this repository (`-p pytest_isolint.plugin`, so the shared
# e2e venvs stay as they are) and runs the binary ISOLINT (default target/release/isolint).
# SERIAL=1 adds `--isolint-serial`; PYTEST_VERSION=9.2.0 runs that pytest (its own venvs). Same
# environment as run.sh otherwise (E2E_WORK, E2E_VENVS, RUNS, TIMEOUT).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/e2e/lib.sh
source "$here/lib.sh"

# `--opt=value`: pytest reads its rootdir before it knows the plugin's options, and would take a
# separate value for a path to test.
plugin_args=(-p pytest_isolint.plugin "--isolint-bin=$ISOLINT")
[ -z "${SERIAL:-}" ] || plugin_args+=(--isolint-serial)

rows=()
for s in "${selected[@]}"; do
  IFS='|' read -r name req deps extra <<<"$s"
  read -r -a extra_args <<<"$extra"
  echo "== $name ($req)" >&2
  tarball="$(fetch_sdist "$req")"
  make_venv "$name" "$tarball" "$deps"
  pytest_version="$("$(venv_of "$name")/bin/python" -c 'import pytest; print(pytest.__version__)')"
  plain=()
  with_plugin=()
  for i in $(seq 1 "$RUNS"); do
    plain+=("$(run_pytest "$name" "$tarball" "$WORK/logs/$name.plugin-off.$i.log" "" -n 2 "${extra_args[@]}")")
    echo "   -n 2 run $i: ${plain[-1]}" >&2
  done
  for i in $(seq 1 "$RUNS"); do
    log="$WORK/logs/$name.plugin-on.$i.log"
    with_plugin+=("$(run_pytest "$name" "$tarball" "$log" "" -n 2 --dist loadgroup "${plugin_args[@]}" "${extra_args[@]}")")
    echo "   -n 2 --dist loadgroup -p isolint run $i: ${with_plugin[-1]}" >&2
  done
  # The plugin's own summary line from the last run: how many tests it grouped, and why.
  grouped="$(grep -m1 -oE 'isolint: [0-9]+ of [0-9]+ tests kept on one worker per group, [0-9]+ groups?' "$log" \
    | sed -E 's/isolint: ([0-9]+) of ([0-9]+) tests kept on one worker per group, ([0-9]+) groups?/\1\/\2 in \3 groups/' || true)"
  rows+=("| $name | $req | $pytest_version | ${plain[*]} | ${with_plugin[*]} | ${grouped:-?} |")
done

echo
echo "isolint: $("$ISOLINT" --version 2>/dev/null || echo unknown)"
echo
echo "| suite | version | pytest | -n 2 ($RUNS runs) | -n 2 --dist loadgroup -p isolint ($RUNS runs) | tests the plugin grouped |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Logs in $WORK/logs (SUITE.plugin-off.N.log, SUITE.plugin-on.N.log)."
