#!/usr/bin/env bash
# The widget's size budget: the release wasm + js + css in dist/, each gzipped (level 6, what web
# servers commonly send), must together stay within BUDGET_KB. Prints the sizes; fails past the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_KB=${BUDGET_KB:-200}
shopt -s nullglob
files=(dist/*.wasm dist/*.js dist/*.css)
if [ ${#files[@]} -lt 3 ]; then
  echo "widget size: dist/ lacks the wasm, js or css; build it with \`make widget\`" >&2
  exit 1
fi
total=0
for f in "${files[@]}"; do
  n=$(gzip -6 -c "$f" | wc -c)
  printf '  %-52s %8d bytes gzipped\n' "$f" "$n"
  total=$((total + n))
done
# What the server actually sends a browser that accepts brotli (the build's `.br` files).
served=0
for f in "${files[@]}"; do
  if [ -f "$f.br" ]; then served=$((served + $(wc -c < "$f.br"))); else served=$((served + $(wc -c < "$f"))); fi
done
printf 'widget as served: %s KB brotli (make widget precompresses dist/)\n' "$(awk -v t="$served" 'BEGIN { printf "%.1f", t / 1000 }')"
# KB here is 1,000 bytes: the stricter reading of the budget.
printf 'widget size: %s KB gzipped (budget %d KB)\n' "$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1000 }')" "$BUDGET_KB"
if [ "$total" -gt $((BUDGET_KB * 1000)) ]; then
  echo "widget size: over the budget of $BUDGET_KB KB gzipped — trim the widget before merging" >&2
  exit 1
fi
