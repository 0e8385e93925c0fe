#!/bin/bash
# Renders the audit of each suite with two isolint builds and prints the before/after figures of
# docs/audit-report.md ("Before and after (issue 16)"): findings, lines, bytes, rendered height,
# tables wider than the page, and how far down the first screen's parts end.
#
#   OLD=/path/to/old/isolint NEW=target/release/isolint bench/audit/compare.sh [OUT_DIR]
#
# SELECT (default ISO1,ISO5: the families the layout before issue 16 knew) picks the rules for both
# builds, so both reports hold the same findings. Suites: SUITES="name=dir:path ..." (the audited
# path is relative to dir); by default the three public suites issue 16 tried, the generated suite
# of the snapshot test (written by generated_suite.py) and the corpus's django. Reports are written
# under OUT_DIR (never into the suites: the corpora are read-only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-/tmp/audit-compare}")
mkdir -p "$out"
select=${SELECT:-ISO1,ISO5}
: "${OLD:?OLD=path of the old isolint}" "${NEW:?NEW=path of the new isolint}"
OLD=$(realpath "$OLD")
NEW=$(realpath "$NEW")
if [ ! -d "$out/generated" ]; then python3 "$here/generated_suite.py" "$out/generated"; fi
suites=${SUITES:-"cookiecutter=/work/e2e-work/src/cookiecutter:tests pyexcel=/work/e2e-work/src/pyexcel:tests neomodel=/work/neo4j-corpus/neomodel-7.0.0:test generated=$out/generated:. django=/work/corpus/large/django:."}
printf '| Suite | Findings | Lines | Bytes | Height (px) | Wide tables | First screen (verdict, top fixes, meanwhile) |\n|---|---|---|---|---|---|---|\n'
for suite in $suites; do
  name=${suite%%=*}
  rest=${suite#*=}
  dir=${rest%%:*}
  path=${rest#*:}
  declare -A m=()
  for build in old new; do
    bin=$OLD
    [ "$build" = new ] && bin=$NEW
    report="$out/$name-$build.md"
    rm -f "$report"
    (cd "$dir" && ISOLINT_NO_CACHE=1 "$bin" audit "$path" --select "$select" --output "$report" >/dev/null 2>&1) || true
    # `check` exits 1 when it finds something: that is not a failure here.
    (cd "$dir" && ISOLINT_NO_CACHE=1 "$bin" check "$path" --select "$select" --output-format json 2>/dev/null || true) \
      | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' >"$out/$name-$build.findings" || echo "?" >"$out/$name-$build.findings"
    m[$build]=$("$here/render.sh" "$report" "$out/$name-$build")
    m[$build.lines]=$(wc -l <"$report")
    m[$build.bytes]=$(wc -c <"$report")
  done
  python3 - "$name" "${m[old]}" "${m[new]}" "${m[old.lines]}" "${m[new.lines]}" "${m[old.bytes]}" "${m[new.bytes]}" \
    "$(cat "$out/$name-old.findings")" "$(cat "$out/$name-new.findings")" <<'PY'
import json, sys
name, old, new, ol, nl, ob, nb, of, nf = sys.argv[1:]
old, new = json.loads(old), json.loads(new)
findings = of if of == nf else f"{of} / {nf}"
ratio = 100 * new["height"] / old["height"]
first = [new["verdict_bottom"], new["top_fixes_bottom"], new["meanwhile_bottom"]]
shown = max(first)
where = f"all three by {shown}" if all(x > 0 for x in first) else "by " + ", ".join(str(x) for x in first)
print(f"| {name} | {findings} | {ol} → {nl} | {int(ob):,} → {int(nb):,} | {old['height']:,} → {new['height']:,} ({ratio:.0f} %) "
      f"| {old['wide']} of {old['tables']} → {new['wide']} of {new['tables']} | {where} |")
PY
done
