#!/usr/bin/env bash
# Validates `stampede compare --metric instructions` on this machine (issue 19):
#   - N A/A compares (the same commit on both sides): count false alarms;
#   - N compares against a throwaway local branch whose actix /plaintext handler runs 20 more
#     loop turns of busy work per request (a patch on that branch only; never pushed): count
#     detections.
# Prints one line per compare and a summary.
#   ci/validate-icount.sh [N=20]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20}"
cargo build --release --locked --bin stampede
# A copy, so that rebuilding the workspace meanwhile does not swap the binary under the runs.
bin=target/stampede/validate-icount/stampede
out=target/stampede/validate-icount
mkdir -p "$out"
cp target/release/stampede "$bin"

# Pin the commit: HEAD may move while this runs.
base=$(git rev-parse HEAD)
branch=stampede-validate-busy
git branch -f "$branch" "$base" >/dev/null
wt="$out/worktree"
git worktree remove --force "$wt" >/dev/null 2>&1 || true
git worktree add --force "$wt" "$branch" >/dev/null
python3 - "$wt/servers/actix/src/main.rs" <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
old = 'get().to(|| async { text("Hello, World!") })'
assert old in src, "actix's /plaintext route changed; update validate-icount.sh"
new = ('get().to(|| async {\n'
       '            // validate-icount: 20 loop turns of busy work (throwaway branch only)\n'
       '            let mut x = 0u64;\n'
       '            for i in 0..20u64 {\n'
       '                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));\n'
       '            }\n'
       '            std::hint::black_box(x);\n'
       '            text("Hello, World!")\n'
       '        })')
open(path, "w").write(src.replace(old, new, 1))
PY
git -C "$wt" commit -qam "validate-icount: actix /plaintext runs 20 loop turns of busy work"
busy=$(git -C "$wt" rev-parse HEAD)
git worktree remove --force "$wt"

run() { # label, head ref (A/A: the base commit itself)
  local label=$1 head=$2 i verdict start
  for i in $(seq 1 "$n"); do
    start=$(date +%s)
    "$bin" compare --metric instructions --base "$base" --head "$head" --targets actix \
      --workloads plaintext --export-json "$out/$label-$i.json" > "$out/$label-$i.txt" 2>&1 || true
    verdict=$(python3 -c "import json; c=json.load(open('$out/$label-$i.json'))[0]; print(c['verdict'], '%+.3f%%' % c['decision']['change_pct'], 'base %.1f head %.1f' % (c['base']['instructions_per_request'], c['head']['instructions_per_request']), 'spreads %.3f%%/%.3f%%' % (c['base']['spread_pct'], c['head']['spread_pct']))")
    echo "$label $i: $verdict ($(( $(date +%s) - start )) s)"
  done
}
run aa "$base" | tee "$out/aa.log"
run ab "$busy" | tee "$out/ab.log"
echo "A/A false alarms (regressed or improved): $(grep -cE ': (regressed|improved)' "$out/aa.log" || true) of $n"
echo "A/B detected (regressed): $(grep -c ': regressed' "$out/ab.log" || true) of $n"
