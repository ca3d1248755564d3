#!/usr/bin/env bash
# The full benchmark run kept for main: Criterion's reports and stampede's summary.
# Locally:  ci/main-bench.sh            (or ci/main-bench.sh --quick for a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked -- "$@"
case " $* " in
    # Quick mode draws no Criterion plots, hence no Criterion HTML page.
    *" --quick "*) ls target/criterion/*/*/*/new/estimates.json >/dev/null ;;
    *) ls target/criterion/report/index.html ;;
esac
ls target/stampede/report/ 2>/dev/null || true
