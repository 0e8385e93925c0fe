#!/bin/bash
# Renders an audit report as GitHub would show it and measures it.
#   bench/audit/render.sh REPORT.md OUT   ->  OUT.html, OUT.png (whole page, cut at 16,000 px),
#                                            OUT.first.png (the first screen, 1200x900), metrics on stdout
# Needs pandoc (`pip install pypandoc-binary`) and a headless Chromium (`chromium` on PATH, or
# CHROMIUM=/path). Markdown is read as GitHub-flavoured (`--from gfm`); <details> stay closed.
set -euo pipefail
md=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
pandoc=$(command -v pandoc || python3 -c "import pypandoc; print(pypandoc.get_pandoc_path())")
browser=${CHROMIUM:-chromium}
{
  echo '<!doctype html><html><head><meta charset="utf-8"><title>-</title><style>'
  cat "$here/github.css"
  echo '</style><script>'
  cat "$here/measure.js"
  echo '</script></head><body><article class="markdown-body">'
  "$pandoc" --from gfm --to html5 "$md"
  echo '</article></body></html>'
} >"$out.html"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
  --disable-component-update --no-first-run --hide-scrollbars)
metrics=$("$browser" "${flags[@]}" --window-size=1200,900 --virtual-time-budget=2000 \
  --dump-dom "file://$(realpath "$out.html")" 2>/dev/null |
  grep -o '<title>[^<]*</title>' | sed 's/<[^>]*>//g; s/&quot;/"/g')
height=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["height"])' "$metrics")
"$browser" "${flags[@]}" --window-size=1200,900 --screenshot="$out.first.png" \
  "file://$(realpath "$out.html")" >/dev/null 2>&1
"$browser" "${flags[@]}" --window-size=1200,$((height < 16000 ? height : 16000)) \
  --screenshot="$out.png" "file://$(realpath "$out.html")" >/dev/null 2>&1
echo "$metrics"
