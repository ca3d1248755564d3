#!/usr/bin/env bash
# Acceptance check of the results history (issue 15), on a throwaway clone:
#   RUNS times, `cargo bench -- --quick '^plaintext/(actix|axum)/'` and `stampede icount
#   --targets actix,axum --workloads plaintext` at HEAD; a commit on a local branch that adds
#   ~1 us of busy work (a fixed loop) to actix's /plaintext; RUNS times more. Then
#   `stampede history plaintext` must show a change point at that commit for actix and none for
#   axum (the control: same machine, same hours, unchanged code).
#
# The verdict is read from METRIC's change points (default `instructions`, the icount series);
# every other figure's verdict is printed beside it. Quick bench runs alone did not pass here:
# the cost of loopback networking on this shared machine jumps by ~20-25% for seconds at a time
# (both vCPUs at once), as much as the step itself (README, "History").
# Without Valgrind the counts are skipped with a line and METRIC falls back to cpu_us.
# Nothing is pushed: the clone lives in a temporary folder, removed at the end (KEEP=1 keeps it).
# Compiled dependencies are copied from this checkout's target/ when present.
#
#   RUNS=6 bash ci/history-changepoint.sh
#   RUNS=6 METRIC=cpu_us bash ci/history-changepoint.sh     # judge the bench runs instead
#   RUNS=6 BENCH_ARGS= bash ci/history-changepoint.sh        # full bench runs, not --quick
#
# Run time on the shared 2-core machine: see ci/README.md.
set -euo pipefail

# Everything runs from a function, so that bash has read the whole script before it starts:
# the script may be edited in the checkout while a run is under way.
main() {
    local runs=${RUNS:-6}
    local metric=${METRIC:-instructions}
    local filter=${FILTER:-'^plaintext/(actix|axum)/'}
    local bench_args=${BENCH_ARGS---quick}
    local src work started counts=1
    src=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
    work=$(mktemp -d -t stampede-history-XXXXXX)
    if [ -z "${KEEP:-}" ]; then
        trap "rm -rf '$work'" EXIT
    fi
    started=$(date +%s)
    echo "fixture clone and history under $work"
    if ! command -v valgrind >/dev/null; then
        echo "skipping the instruction counts: valgrind not found (apt-get install valgrind)"
        counts=0
        [ "$metric" = instructions ] && metric=cpu_us
    fi

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
    cargo build --quiet --release

    bench_runs() {
        for i in $(seq 1 "$runs"); do
            echo "== $1 run $i of $runs"
            # shellcheck disable=SC2086 # BENCH_ARGS is words
            cargo bench --quiet --bench workloads -- $bench_args "$filter" 2>&1 \
                | grep -E '^\s+plaintext/|FAILED|warning: .*history' || true
            if [ "$counts" = 1 ]; then
                ./target/release/stampede icount --targets actix,axum --workloads plaintext 2>&1 \
                    | grep -E '^(actix|axum) |Error|warning' || true
            fi
        done
    }

    bench_runs "before"
    python3 - <<'EOF'
import pathlib
p = pathlib.Path("servers/actix/src/main.rs")
s = p.read_text()
old = 'get().to(|| async { text("Hello, World!") })'
assert old in s, "the actix /plaintext handler moved: update ci/history-changepoint.sh"
s = s.replace(old, 'get().to(|| async { busy_one_us(); text("Hello, World!") })')
s += '''
/// Fixture for ci/history-changepoint.sh: about one microsecond of CPU per request on the
/// 2-core machine (900 dependent multiply-adds through black_box: 0.98 us), the same
/// instructions every time, so that CPU time and instruction counts both see it.
fn busy_one_us() {
    let mut x = std::hint::black_box(1u64);
    for i in 0..900u64 {
        x = std::hint::black_box(x)
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(i);
    }
    std::hint::black_box(x);
}
'''
p.write_text(s)
EOF
    git commit --quiet -am "fixture: ~1 us of busy work in actix /plaintext"
    local busy
    busy=$(git rev-parse HEAD)
    echo "busy-work commit $busy"
    cargo build --quiet --release
    bench_runs "after"

    local stampede=./target/release/stampede
    "$stampede" history plaintext
    for m in cpu_us instructions; do
        "$stampede" history plaintext --metric "$m"
    done
    local status=0 verdicts=""
    for m in requests_per_sec p99 cpu_us instructions; do
        "$stampede" history plaintext --metric "$m" --json >"$work/history-$m.json"
        if verdict "$work/history-$m.json" "$busy" >"$work/verdict-$m.txt"; then
            verdicts+="  $m: PASS"$'\n'
        else
            verdicts+="  $m: FAIL"$'\n'
            [ "$m" = "$metric" ] && status=1
        fi
        sed 's/^/    /' "$work/verdict-$m.txt"
    done
    echo "verdicts (change point at the busy-work commit for actix, none for axum):"
    printf '%s' "$verdicts"
    echo "checked metric: $metric -> $([ $status = 0 ] && echo PASS || echo FAIL)"
    echo "run time: $(($(date +%s) - started)) s"
    return $status
}

# PASS (exit 0) when some actix ID of the trend report $1 has a change point at commit $2 and
# no axum ID has any change point.
verdict() {
    python3 - "$1" "$2" <<'EOF'
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
print(f"{report['metric']}: actix IDs with a change point at the busy-work commit: {actix_hits}; "
      f"control IDs with any change point: {axum_hits}")
sys.exit(0 if actix_hits and not axum_hits else 1)
EOF
}

main "$@"
