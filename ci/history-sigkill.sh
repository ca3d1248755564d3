#!/usr/bin/env bash
# A `cargo bench` killed with SIGKILL mid-run leaves a history that `stampede history` reads,
# holding every benchmark that had finished (issue 15). Uses a temporary history file.
#
#   bash ci/history-sigkill.sh            # kills after 2 finished benchmarks of plaintext/actix
set -euo pipefail

after=${AFTER:-2}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
work=$(mktemp -d -t stampede-sigkill-XXXXXX)
trap 'rm -rf "$work"' EXIT
export STAMPEDE_HISTORY="$work/history.sqlite"

cargo bench --quiet --bench workloads --no-run
cargo bench --quiet --bench workloads -- --quick '^plaintext/actix/' >"$work/bench.log" 2>&1 &
cargo_pid=$!
for _ in $(seq 1 300); do
    [ "$(grep -c '^  plaintext/actix' "$work/bench.log" || true)" -ge "$after" ] && break
    sleep 1
done
bench_pid=$(pgrep -P "$cargo_pid" | head -n1)
echo "killing the bench process $bench_pid (child of cargo $cargo_pid) with SIGKILL"
kill -KILL "$bench_pid"
wait "$cargo_pid" || true
grep '^  plaintext/actix' "$work/bench.log"

cargo run --quiet -- history plaintext
python3 - "$STAMPEDE_HISTORY" "$after" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
check = db.execute("PRAGMA integrity_check").fetchone()[0]
records = db.execute("SELECT count(*) FROM records").fetchone()[0]
print(f"integrity_check: {check}; records kept: {records}")
sys.exit(0 if check == "ok" and records >= int(sys.argv[2]) else 1)
EOF
