#!/usr/bin/env bash
# Duet-compares the working tree with a base ref and writes the verdict as Markdown.
# Exit status: 0 no regression, 1 regression, 2 error (that of `stampede compare`).
# Locally:  ci/pr-compare.sh main            (writes target/stampede/compare.md)
#   env: STAMPEDE_COMPARE_ARGS for extra flags, e.g. "--targets actix,gin --rounds 10"
set -uo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: ci/pr-compare.sh BASE_REF [MARKDOWN_FILE]}"
out="${2:-target/stampede/compare.md}"
mkdir -p "$(dirname "$out")"
cargo build --release --locked --bin stampede || exit 2
# shellcheck disable=SC2086
./target/release/stampede compare --base "$base" --markdown "$out" \
  --json "${out%.md}.json" ${STAMPEDE_COMPARE_ARGS:-}
status=$?
[ -f "$out" ] && cat "$out"
exit $status
