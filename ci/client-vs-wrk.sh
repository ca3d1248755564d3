#!/usr/bin/env bash
# Is stampede's load client at least as efficient as wrk? Serves TARGET on CPU 0, then runs
# `stampede load --url` and wrk (one thread) on CPU 1 against the same URL, taking turns, PAIRS
# times, and prints req/s and client CPU per request of each (the whole client process: user +
# system time from getrusage), with the median ratios stampede / wrk.
#   ci/client-vs-wrk.sh [TARGET=actix] [PAIRS=3] [CONNECTIONS=64] [SECONDS=5] [PIPELINE=1]
# PIPELINE > 1 runs both pipelined (wrk with TechEmpower's pipeline.lua). Needs wrk
# (apt-get install wrk), python3 and 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-actix}" pairs="${2:-3}" conns="${3:-64}" secs="${4:-5}" depth="${5:-1}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk"; exit 2; }
cargo build --release --locked --bin stampede
bin=./target/release/stampede
log=$(mktemp) lua=$(mktemp --suffix .lua)
$bin serve "$target" --cpus 0 > "$log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -f "$log" "$lua"' EXIT
for _ in $(seq 1 600); do grep -q '^listening on' "$log" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$log")/plaintext"
[ -n "$url" ] || { cat "$log"; exit 2; }
# TechEmpower's pipeline script: DEPTH requests in every write.
cat > "$lua" <<'LUA'
init = function(args)
  local r = {}
  local depth = tonumber(args[1]) or 1
  for i = 1, depth do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
LUA
echo "target $target at $url (server CPU 0, clients CPU 1, $conns connections, ${secs}s, pipeline $depth)"
python3 - "$bin" "$url" "$conns" "$secs" "$depth" "$pairs" "$lua" <<'PY'
import json, re, resource, statistics, subprocess, sys
bin, url, conns, secs, depth, pairs, lua = sys.argv[1:]

def run(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["taskset", "-c", "1", *argv], capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, cpu

def ours():
    out, cpu = run([bin, "load", "--url", url, "-c", conns, "-d", secs + "s", "--warmup", "0s",
                    "--pipeline", depth, "--json"])
    report = json.loads(out)
    return report["requests_per_sec"], cpu * 1e6 / report["requests"], report["errors"]

def theirs():
    out, cpu = run(["wrk", "-t1", "-c" + conns, "-d" + secs + "s", "-s", lua, url, "--", depth])
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, cpu * 1e6 / requests, int(errors.group(1)) if errors else 0

rps_ratios, cpu_ratios = [], []
for i in range(1, int(pairs) + 1):
    (a_rps, a_cpu, a_err), (b_rps, b_cpu, b_err) = ours(), theirs()
    rps_ratios.append(a_rps / b_rps)
    cpu_ratios.append(a_cpu / b_cpu)
    print(f"pair {i}: stampede {a_rps:,.0f} req/s, {a_cpu:.2f} CPU us/req, {a_err} errors; "
          f"wrk {b_rps:,.0f} req/s, {b_cpu:.2f} CPU us/req, {b_err} errors; "
          f"req/s ratio {a_rps / b_rps:.3f}, CPU/req ratio {a_cpu / b_cpu:.3f}")
print(f"median req/s ratio {statistics.median(rps_ratios):.3f}, "
      f"median CPU per request ratio {statistics.median(cpu_ratios):.3f} (stampede / wrk)")
PY
