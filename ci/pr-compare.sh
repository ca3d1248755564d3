#!/usr/bin/env bash
# Duet-compares the working tree with a base ref, with the null control on, and writes the
# verdict as Markdown (FILE) and the whole run as JSON (FILE with .json).
# Exit status: 0 no regression (inconclusive included), 1 regression, 2 error (compare's own).
# Locally:  ci/pr-compare.sh main            (writes target/stampede/compare.{md,json})
#   env: STAMPEDE_COMPARE_ARGS for extra flags, e.g. "--targets actix,gin --max-time 15m"
set -uo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: ci/pr-compare.sh BASE_REF [MARKDOWN_FILE]}"
out="${2:-target/stampede/compare.md}"
mkdir -p "$(dirname "$out")"
rm -f "$out" "${out%.md}.json"
log="${out%.md}.log"
if ! cargo build --release --locked --bin stampede > "$log" 2>&1; then
  status=2
else
  # shellcheck disable=SC2086
  ./target/release/stampede compare --base "$base" --null-control --export-markdown "$out" \
    --export-json "${out%.md}.json" ${STAMPEDE_COMPARE_ARGS:-} 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
# An error leaves no verdict: the PR comment then says so, with the log's end.
if [ ! -f "$out" ]; then
  {
    echo "<!-- stampede-compare -->"
    echo "## stampede compare: $base → working tree"
    echo
    echo "**Error**: compare did not reach a verdict. Exit status $status."
    echo
    echo '```'
    tail -n 20 "$log"
    echo '```'
  } > "$out"
fi
cat "$out"
exit "$status"
