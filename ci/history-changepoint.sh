#!/usr/bin/env bash
# Acceptance check of the results history (issue 15), on a throwaway clone:
#   six `cargo bench -- --quick '^plaintext/(actix|axum)/'` runs at HEAD, a commit on a local
#   branch that adds ~1 us of busy work to actix's /plaintext, six runs more; then
#   `stampede history plaintext` must show a change point at that commit for actix and none for
#   axum (the control: same machine, same hours, unchanged code).
# Nothing is pushed: the clone lives in a temporary folder, removed at the end (KEEP=1 keeps it).
# Compiled dependencies are copied from this checkout's target/ when present.
#
#   RUNS=6 METRIC=requests_per_sec bash ci/history-changepoint.sh
#
# Run time on the shared 2-core machine: see ci/README.md.
set -euo pipefail

runs=${RUNS:-6}
metric=${METRIC:-requests_per_sec}
filter=${FILTER:-'^plaintext/(actix|axum)/'}
src=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d -t stampede-history-XXXXXX)
if [ -z "${KEEP:-}" ]; then
    trap 'rm -rf "$work"' EXIT
fi
started=$(date +%s)
echo "fixture clone and history under $work"

git clone --quiet --no-hardlinks "$src" "$work/repo"
cd "$work/repo"
git switch --quiet -c history-fixture
git config user.email fixture@stampede.invalid
git config user.name "history fixture"
for dir in release debug stampede/build; do
    if [ -d "$src/target/$dir" ]; then
        mkdir -p "target/$(dirname "$dir")"
        cp -a "$src/target/$dir" "target/$dir"
    fi
done
export STAMPEDE_HISTORY="$work/history.sqlite"

bench_runs() {
    for i in $(seq 1 "$runs"); do
        echo "== $1 run $i of $runs"
        cargo bench --quiet --bench workloads -- --quick "$filter" 2>&1 \
            | grep -E '^\s+plaintext/|FAILED|warning: .*history' || true
    done
}

bench_runs "before"
python3 - <<'EOF'
import re, pathlib
p = pathlib.Path("servers/actix/src/main.rs")
s = p.read_text()
old = 'get().to(|| async { text("Hello, World!") })'
assert old in s, "the actix /plaintext handler moved: update ci/history-changepoint.sh"
s = s.replace(old, 'get().to(|| async { busy_one_us(); text("Hello, World!") })')
s += '''
/// Fixture for ci/history-changepoint.sh: about one microsecond of CPU per request.
fn busy_one_us() {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_micros(1) {
        std::hint::spin_loop();
    }
}
'''
p.write_text(s)
EOF
git commit --quiet -am "fixture: ~1 us of busy work in actix /plaintext"
busy=$(git rev-parse HEAD)
echo "busy-work commit $busy"
bench_runs "after"

stampede() { cargo run --quiet -- "$@"; }
for m in requests_per_sec cpu_us; do
    stampede history plaintext --metric "$m"
done
stampede history plaintext --metric "$metric" --json >"$work/history.json"
status=0
python3 - "$work/history.json" "$busy" <<'EOF' || status=1
import json, sys
report = json.load(open(sys.argv[1]))
busy = sys.argv[2]
actix_hits, axum_hits = [], []
for t in report["trends"]:
    target = t["bench_id"].split("/")[1]
    at_busy = [c for c in t["change_points"] if c["commit"] == busy]
    other = [c for c in t["change_points"] if c["commit"] != busy]
    if target == "actix":
        actix_hits += [t["bench_id"]] if at_busy else []
    elif at_busy or other:
        axum_hits.append(t["bench_id"])
    if target == "actix" and other:
        print(f"note: {t['bench_id']} also changed at {[c['commit'][:10] for c in other]}")
print(f"actix IDs with a change point at the busy-work commit: {actix_hits}")
print(f"control IDs with any change point: {axum_hits}")
ok = actix_hits and not axum_hits
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
echo "checked metric: $metric"
echo "run time: $(( $(date +%s) - started )) s"
exit $status
