#!/usr/bin/env bash
# One shard of the benchmarks: every benchmark of one target (IDs are <workload>/<target>/<param>,
# so the filter /TARGET/ selects exactly that target; only it is built and started).
# Its results land in target/stampede/results/ as usual, ready to upload.
# Locally:  ci/bench-shard.sh actix --quick
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: ci/bench-shard.sh TARGET [CRITERION ARGS...]}
shift
cargo bench --locked -- "$@" "/${target}/"
ls target/stampede/results/ >/dev/null
