#!/usr/bin/env bash
# Is stampede's open loop as precise as an independent constant-rate tool? Serves TARGET on
# CPU 0, then runs `stampede load --url --rate` and oha (`-q RATE --latency-correction`, which
# measures from intended send times as we do) on CPU 1 against the same URL, taking turns,
# PAIRS times, and prints each one's p50 and p99 with the median p50 difference.
#   ci/open-loop-vs-oha.sh [TARGET=actix] [PAIRS=3] [RATE=1000] [CONNECTIONS=16] [SECONDS=10]
# Needs oha (`cargo install oha`), python3 and 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-actix}" pairs="${2:-3}" rate="${3:-1000}" conns="${4:-16}" secs="${5:-10}"
command -v oha >/dev/null || { echo "oha not found: cargo install oha"; exit 2; }
cargo build --release --locked --bin stampede
bin=./target/release/stampede
log=$(mktemp)
$bin serve "$target" --cpus 0 > "$log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q '^listening on' "$log" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$log")/plaintext"
[ -n "$url" ] || { cat "$log"; exit 2; }
echo "target $target at $url (server CPU 0, clients CPU 1, $conns connections, $rate req/s, ${secs}s)"
python3 - "$bin" "$url" "$conns" "$secs" "$rate" "$pairs" <<'PY'
import json, statistics, subprocess, sys
bin, url, conns, secs, rate, pairs = sys.argv[1:]

def run(argv):
    return subprocess.run(["taskset", "-c", "1", *argv], capture_output=True, text=True,
                          check=True).stdout

def ours():
    r = json.loads(run([bin, "load", "--url", url, "-c", conns, "-d", secs + "s",
                        "--rate", rate, "--json"]))
    lat, lag = r["latency_us"], r["open_loop"]["send_lag"]
    return lat["p50"], lat["p99"], r["errors"], (lag["late_sends"], lag["p99_us"])

def theirs():
    r = json.loads(run(["oha", "--no-tui", "--output-format", "json", "-q", rate,
                        "--latency-correction", "-z", secs + "s", "-c", conns, url]))
    p = r["latencyPercentiles"]
    errors = sum(r.get("errorDistribution", {}).values())
    return p["p50"] * 1e6, p["p99"] * 1e6, errors, None

diffs = []
for i in range(1, int(pairs) + 1):
    a, b = ours(), theirs()
    diffs.append(a[0] - b[0])
    print(f"pair {i}: stampede p50 {a[0]:.0f} us, p99 {a[1]:.0f} us, {a[2]} errors, "
          f"{a[3][0]} late sends, send lag p99 {a[3][1]} us; oha p50 {b[0]:.0f} us, p99 {b[1]:.0f} us, {b[2]} errors; "
          f"p50 difference {a[0] - b[0]:+.0f} us", flush=True)
print(f"median p50 difference (stampede - oha): {statistics.median(diffs):+.0f} us")
PY
