#!/usr/bin/env bash
# The long fuzzing run: the property tests of crates/isolint_linter/tests/fuzz.rs (grammar-aware
# generated suites, arbitrary text, arbitrary bytes, over the whole pipeline and at one and four
# threads) with many cases, stopped after a time limit. CI runs the same tests with 64 cases.
#
#   bench/fuzz.sh [SECONDS]        (default 3600)
#
# Environment: ISOLINT_FUZZ_CASES (default 300000 per property: more than an hour's worth, so the
# time limit ends the run). A failure prints its input and proptest keeps the seed in
# crates/isolint_linter/proptest-regressions/; copy the minimal input into
# crates/isolint_linter/tests/fuzz-regressions/ so that every CI run replays it. Runs are logged in
# docs/fuzzing.md.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIMIT=${1:-3600}
cd "$ROOT"
cargo build --release -p isolint_linter --tests --quiet || exit 2
# Run the test binary itself: `cargo test` would hold the build lock for the whole hour.
binary=$(cargo test --release -p isolint_linter --test fuzz --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "fuzz" and m.get("executable"):
        print(m["executable"])')
[ -x "$binary" ] || { echo "bench/fuzz.sh: no fuzz test binary" >&2; exit 2; }
start=$(date +%s)
cd crates/isolint_linter
ISOLINT_FUZZ_CASES=${ISOLINT_FUZZ_CASES:-300000} timeout "$LIMIT" "$binary" --test-threads 2
status=$?
echo "bench/fuzz.sh: fuzzed for $(( $(date +%s) - start )) s; exit $status (124: the time limit ended it, no failure)"
[ "$status" -eq 124 ] && exit 0
exit "$status"
