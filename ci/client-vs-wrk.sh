#!/usr/bin/env bash
# Is stampede's load client at least as efficient as wrk per core? Serves TARGET on CPU 0,
# then runs `stampede load --url` and `wrk -t1` on CPU 1 against the same URL, interleaved,
# PAIRS times, and prints each ratio and their median (stampede req/s / wrk req/s).
#   ci/client-vs-wrk.sh [TARGET=actix] [PAIRS=3] [CONNECTIONS=64] [SECONDS=5]
# Needs wrk (apt-get install wrk) and 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-actix}" pairs="${2:-3}" conns="${3:-64}" secs="${4:-5}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk"; exit 2; }
cargo build --release --locked --bin stampede
bin=./target/release/stampede
log=$(mktemp)
$bin serve "$target" --cpus 0 > "$log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q '^listening on' "$log" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$log")/plaintext"
[ -n "$url" ] || { cat "$log"; exit 2; }
echo "target $target at $url (server CPU 0, clients CPU 1, $conns connections, ${secs}s)"
ratios=()
for i in $(seq 1 "$pairs"); do
  ours=$(taskset -c 1 $bin load --url "$url" --connections "$conns" --duration "${secs}s" --warmup 1s --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_sec"])')
  theirs=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" "$url" | awk '/^Requests\/sec/ {print $2}')
  ratio=$(python3 -c "print(round($ours / $theirs, 3))")
  ratios+=("$ratio")
  printf 'pair %d: stampede %.0f req/s, wrk %.0f req/s, ratio %s\n' "$i" "$ours" "$theirs" "$ratio"
done
python3 -c "import statistics,sys; print('median ratio', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
