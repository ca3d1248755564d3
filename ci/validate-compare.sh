#!/usr/bin/env bash
# Validates `stampede compare` on this machine (issue: PR regression gate):
#   - N A/A compares (the same commit on both sides): count false alarms;
#   - N compares against a throwaway branch whose actix plaintext handler burns ~5% more CPU
#     per request (a patch on that branch only; nothing in the product): count detections.
# Prints one line per compare and a summary. Takes about N x 2 x 45 s.
#   ci/validate-compare.sh [N=20]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20}"
cargo build --release --locked --bin stampede
bin=./target/release/stampede
out=target/stampede/validate
mkdir -p "$out"

# CPU per request of actix plaintext, to size the burn at 5% of it. The burn goes into the
# function that builds every text/plain answer.
cpu_us=$($bin load --target actix --workload plaintext --connections 32 --duration 5s --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["server"]["cpu_us_per_request"])')
burn_ns=$(python3 -c "print(int(float('$cpu_us') * 1000 * 0.05))")
echo "actix plaintext: ${cpu_us} CPU us/request; the slow branch burns ${burn_ns} ns more per request"

# Pin the commit: HEAD may move while this runs.
base=$(git rev-parse HEAD)
branch=stampede-validate-slow
git branch -f "$branch" "$base" >/dev/null
wt="target/stampede/validate/worktree"
git worktree remove --force "$wt" >/dev/null 2>&1 || true
git worktree add --force "$wt" "$branch" >/dev/null
python3 - "$wt/servers/actix/src/main.rs" "$burn_ns" <<'PY'
import re, sys
path, burn = sys.argv[1], int(sys.argv[2])
src = open(path).read()
marker = "fn text("  # builds every text/plain answer, /plaintext included
i = src.index(marker)
body = src.index("{", i) + 1
spin = ("\n    // validate-compare: burn extra CPU per request (throwaway branch only)\n"
        f"    let until = std::time::Instant::now() + std::time::Duration::from_nanos({burn});\n"
        "    while std::time::Instant::now() < until {\n        std::hint::spin_loop();\n    }\n")
open(path, "w").write(src[:body] + spin + src[body:])
PY
git -C "$wt" commit -qam "validate-compare: actix plaintext burns ${burn_ns} ns more per request"
slow=$(git -C "$wt" rev-parse HEAD)
git worktree remove --force "$wt"

run() { # label, head ref (A/A: the base commit itself, so both sides run the same binary)
  local label=$1 head=$2 i verdict start
  for i in $(seq 1 "$n"); do
    start=$(date +%s)
    $bin compare --base "$base" --head "$head" --targets actix --workloads plaintext \
      --json "$out/$label-$i.json" > "$out/$label-$i.txt" 2>&1 || true
    verdict=$(python3 -c "import json; c=json.load(open('$out/$label-$i.json'))[0]; print(c['verdict'], round(c['throughput']['change_pct'],2), round(c['cpu_per_request']['change_pct'],2))")
    echo "$label $i: $verdict ($(( $(date +%s) - start )) s)"
  done
}
run aa "$base" | tee "$out/aa.log"
run ab "$slow" | tee "$out/ab.log"
echo "A/A false alarms (regressed or improved): $(grep -cE ': (regressed|improved)' "$out/aa.log") of $n"
echo "A/B detected (regressed): $(grep -c ': regressed' "$out/ab.log") of $n"
