#!/usr/bin/env bash
# Compares the working tree with a base ref on user-space instructions per request (under
# Valgrind) and writes the verdict as Markdown.
# Exit status: 0 no regression, 1 regression, 2 error (that of `stampede compare`).
# Locally:  ci/pr-icount.sh main            (writes target/stampede/compare-instructions.md)
#   env: STAMPEDE_ICOUNT_ARGS for extra flags, e.g. "--targets actix,gin --workloads plaintext"
set -uo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: ci/pr-icount.sh BASE_REF [MARKDOWN_FILE]}"
out="${2:-target/stampede/compare-instructions.md}"
mkdir -p "$(dirname "$out")"
cargo build --release --locked --bin stampede || exit 2
# shellcheck disable=SC2086
./target/release/stampede compare --metric instructions --base "$base" --export-markdown "$out" \
  --export-json "${out%.md}.json" ${STAMPEDE_ICOUNT_ARGS:-}
status=$?
[ -f "$out" ] && cat "$out"
exit $status
