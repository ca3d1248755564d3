#!/usr/bin/env bash
# Validates `stampede compare`'s verdict rule on this machine, the way CI runs it (family of
# actix x plaintext,json x {req/s, CPU/request} = 4 comparisons, null control on):
#   aa     - AA runs of the base commit against itself: family-wise false alarms;
#   half   - HALF runs against a throwaway branch whose actix text and JSON answers burn 2.5%
#            more CPU per request (half the 5% threshold): alarms;
#   double - DOUBLE runs against a branch burning 10% more CPU per request (exactly twice the
#            threshold of the metric that decides where the clients set the rate): detections.
# The burns are sized from the A/A runs' own CPU per request and go into the branches only
# (local, never pushed). Each run writes JSON and Markdown under target/stampede/validate/;
# the summary comes last (ci/validate-summary.py).
#   ci/validate-compare.sh [AA=20] [HALF=20] [DOUBLE=10]
#   env: VALIDATE_BASE (default HEAD), VALIDATE_ARGS (default below), STAMPEDE_BIN,
#        VALIDATE_HALF, VALIDATE_DOUBLE (reuse those branches)
# Takes about (AA + HALF + DOUBLE) x 2 min, plus building actix for the two branches.
set -euo pipefail
cd "$(dirname "$0")/.."
aa="${1:-20}" half="${2:-20}" double="${3:-10}"
args="${VALIDATE_ARGS:---targets actix --workloads plaintext,json --null-control --round-duration 1s --max-time 90s}"
out=target/stampede/validate
mkdir -p "$out"
# A private copy: a rebuild of target/release during the hours this runs must not change it.
# STAMPEDE_BIN names an already built binary instead.
bin="$out/stampede"
if [ -n "${STAMPEDE_BIN:-}" ]; then
  cp "$STAMPEDE_BIN" "$bin"
else
  cargo build --release --locked --bin stampede
  cp target/release/stampede "$bin"
fi
# Pin the commit: HEAD may move while this runs.
base=$(git rev-parse "${VALIDATE_BASE:-HEAD}")
echo "base $base; compare args: $args"

run() { # label, head commit, first index, last index
  local label=$1 head=$2 i start status
  for i in $(seq "$3" "$4"); do
    start=$(date +%s)
    status=0
    # shellcheck disable=SC2086
    "$bin" compare --base "$base" --head "$head" $args \
      --export-json "$out/$label-$i.json" --export-markdown "$out/$label-$i.md" > "$out/$label-$i.txt" 2>&1 \
      || status=$?
    echo "$label $i: exit $status, $(( $(date +%s) - start )) s, $(python3 ci/validate-summary.py --one "$out/$label-$i.json")"
  done
}

# A branch of the base whose actix `text` and `json` helpers (every plaintext and JSON answer)
# burn the given nanoseconds of CPU per request. Its worktree reuses the base's compiled
# dependencies, so only actix itself is rebuilt.
slow_branch() { # name, plaintext burn ns, json burn ns
  local name=$1 text_ns=$2 json_ns=$3 wt commit
  git branch -f "$name" "$base" >/dev/null
  wt="$out/worktree-$name"
  git worktree remove --force "$wt" >/dev/null 2>&1 || true
  git worktree add --force "$wt" "$name" >/dev/null
  python3 - "$wt/servers/actix/src/main.rs" "$text_ns" "$json_ns" <<'PY'
import sys
path, text_ns, json_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
src = open(path).read()
# The burn is counted work, not a spin on the clock: in a VM a clock read can cost more than
# the burn itself (a clock spin of 277 ns cost 5-9% of an 11 us request here). The loop's speed
# is calibrated at the first request (best of 20 short tries, so a preempted try does not
# count; ~0.1 ms, against ~0.3 s of server CPU in a 1 s round).
helper = """
/// validate-compare: burns about `ns` of CPU (throwaway branch only).
fn burn(ns: u64) {
    static PER_NS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let per_ns = *PER_NS.get_or_init(|| {
        let mut best = f64::MAX;
        for _ in 0..20 {
            let t = std::time::Instant::now();
            spin(10_000);
            best = best.min(t.elapsed().as_nanos() as f64 / 1e4);
        }
        1.0 / best
    });
    spin((ns as f64 * per_ns) as u64);
}

fn spin(iterations: u64) {
    let mut x = 0u64;
    for i in 0..iterations {
        x = std::hint::black_box(x.wrapping_add(i));
    }
    std::hint::black_box(x);
}
"""
def inject(src, marker, ns):
    i = src.index(marker)
    body = src.index("{", i) + 1
    return src[:body] + f"\n    burn({ns});\n" + src[body:]
src = inject(src, "fn text(", text_ns)
src = inject(src, "fn json<", json_ns)
open(path, "w").write(src + helper)
PY
  git -C "$wt" commit -qam "validate-compare: actix burns ${text_ns} ns (text), ${json_ns} ns (json) per request"
  commit=$(git -C "$wt" rev-parse HEAD)
  git worktree remove --force "$wt"
  local dest="target/stampede/worktrees/$commit" from="target/stampede/worktrees/$base/target"
  if [ ! -d "$dest" ]; then
    git worktree add --detach --force "$dest" "$commit" >/dev/null
    [ -d "$from" ] && cp -a "$from" "$dest/target"
  fi
  echo "$commit"
}

rm -f "$out"/half-*.json "$out"/double-*.json
# AA=0 keeps the A/A runs already under $out (for example after changing the injected branches).
if [ "$aa" -gt 0 ]; then
  rm -f "$out"/aa-*.json
  run aa "$base" 1 1 | tee "$out/aa.log"
fi
# CPU us per request of base in the duet itself (median over the A/A runs' kept rounds).
read -r text_us json_us < <(python3 ci/validate-summary.py --cpu-us "$out"/aa-*.json)
ns() { python3 -c "print(round($1 * 1000 * $2))"; }
echo "duet CPU per request: plaintext ${text_us} us, json ${json_us} us"
# VALIDATE_HALF / VALIDATE_DOUBLE name branches made by an earlier run (their builds are kept).
half_commit=${VALIDATE_HALF:-$(slow_branch stampede-validate-half "$(ns "$text_us" 0.025)" "$(ns "$json_us" 0.025)")}
double_commit=${VALIDATE_DOUBLE:-$(slow_branch stampede-validate-double "$(ns "$text_us" 0.10)" "$(ns "$json_us" 0.10)")}
half_commit=$(git rev-parse "$half_commit") double_commit=$(git rev-parse "$double_commit")
echo "half: $(git log -1 --format=%s "$half_commit")"
echo "double: $(git log -1 --format=%s "$double_commit")"
# Build both branches' actix while the other A/A runs go on (the catalog's own command), so
# the builds cost no extra wall time; building beside the duet is noise it must stand anyway.
(for c in "$half_commit" "$double_commit"; do
  (cd "target/stampede/worktrees/$c" && cargo build --release --locked --quiet -p stampede-actix \
    --target-dir target/stampede/build/cargo)
done) > "$out/branch-builds.log" 2>&1 &
builds=$!
[ "$aa" -gt 1 ] && run aa "$base" 2 "$aa" | tee -a "$out/aa.log"
wait "$builds" || echo "branch builds failed: see $out/branch-builds.log (compare will build them)"
run half "$half_commit" 1 "$half" | tee "$out/half.log"
run double "$double_commit" 1 "$double" | tee "$out/double.log"
python3 ci/validate-summary.py --summary "$out" | tee "$out/summary.txt"
