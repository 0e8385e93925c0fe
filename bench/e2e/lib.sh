# What the e2e scripts share (sourced by run.sh and plugin.sh): the suites, their sdists and venvs,
# fresh source trees, and one pytest run judged pass/FAIL/HANG/CRASH. Expects `here` (this folder);
# reads the calling script's arguments (SUITE or all).
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

# The venv of suite $1: the pinned pytest, or with PYTEST_VERSION set (e.g. 9.2.0), that pytest
# in a venv of its own (`SUITE-pytestVERSION`), the other pins unchanged.
venv_of() {
  echo "$VENVS/$1${PYTEST_VERSION:+-pytest$PYTEST_VERSION}"
}

make_venv() {
  local name="$1" tarball="$2" deps="$3" venv constraints="$here/constraints/$1.txt" pytest_req="pytest<9.2"
  venv="$(venv_of "$name")"
  if [ -n "${PYTEST_VERSION:-}" ]; then
    constraints="$WORK/constraints-$name-pytest$PYTEST_VERSION.txt"
    grep -v '^pytest==' "$here/constraints/$name.txt" >"$constraints"
    pytest_req="pytest==$PYTEST_VERSION"
  fi
  local stamp="$venv/.e2e-$(basename "$tarball")-$(cksum < "$constraints" | cut -d' ' -f1)"
  [ -f "$stamp" ] && return 0
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # shellcheck disable=SC2086 # the dependency list is split on purpose
  "$venv/bin/python" -m pip install --quiet -c "$constraints" \
    "$pytest_req" pytest-xdist "$tarball" $deps
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
  (cd "$WORK/src/$name" && PYTHONPATH="$here:$repo/python" ISOLINT_AUDIT_JSON="$groups" timeout "$TIMEOUT" "$(venv_of "$name")/bin/python" -m pytest \
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

