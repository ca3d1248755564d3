#!/usr/bin/env bash
# Is stampede's load client at least as efficient as wrk? Serves TARGET on CPU 0, then runs
# `stampede load --url` (once per I/O backend) and wrk (one thread) on CPU 1 against the same
# URL, taking turns (the order rotates every pair), PAIRS times, and prints req/s and client CPU
# per request of each (the whole client process: user + system time from getrusage), how busy
# CPU 0 (the server's) was, with the median ratios stampede / wrk per backend.
#   ci/client-vs-wrk.sh [TARGET=actix] [PAIRS=3] [CONNECTIONS=64] [SECONDS=5] [PIPELINE=1] [IO=uring,epoll]
# PIPELINE > 1 runs both pipelined (wrk with TechEmpower's pipeline.lua). IO lists the
# `stampede load --io` backends to run (epoll, uring). CPU 0 busy comes from /proc/stat and
# counts everything on that CPU, so on a shared machine it is an upper bound for the server.
# Needs wrk (apt-get install wrk), python3 and 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-actix}" pairs="${2:-3}" conns="${3:-64}" secs="${4:-5}" depth="${5:-1}" io="${6:-uring,epoll}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk"; exit 2; }
cargo build --release --locked --bin stampede
bin=./target/release/stampede
log=$(mktemp) lua=$(mktemp --suffix .lua)
$bin serve "$target" --cpus 0 > "$log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -f "$log" "$lua"' EXIT
# Building and verifying the target can take minutes on a busy machine.
for _ in $(seq 1 3000); do grep -q '^listening on' "$log" && break; sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$log")"
[ -n "$base" ] || { cat "$log"; exit 2; }
url="$base/plaintext"
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
echo "target $target at $url (server CPU 0, clients CPU 1, $conns connections, ${secs}s, pipeline $depth, io $io)"
python3 - "$bin" "$url" "$conns" "$secs" "$depth" "$pairs" "$lua" "$io" <<'PY'
import json, re, resource, statistics, subprocess, sys
bin, url, conns, secs, depth, pairs, lua, io = sys.argv[1:]
backends = [b for b in io.split(",") if b]

def cpu0():
    """Busy and total jiffies of CPU 0 so far."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu0 "):
                v = [int(x) for x in line.split()[1:]]
                idle = v[3] + v[4]
                return sum(v) - idle, sum(v)
    return 0, 1

def run(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0 = cpu0()
    out = subprocess.run(["taskset", "-c", "1", *argv], capture_output=True, text=True, check=True).stdout
    b1 = cpu0()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busy0 = (b1[0] - b0[0]) / max(1, b1[1] - b0[1])
    return out, cpu, busy0

def ours(backend):
    out, cpu, busy0 = run([bin, "load", "--url", url, "-c", conns, "-d", secs + "s", "--warmup", "0s",
                           "--pipeline", depth, "--io", backend, "--json"])
    report = json.loads(out)
    ran = report["client"].get("io", "?")
    if ran != backend:
        sys.exit(f"asked for --io {backend}, the report says {ran}")
    return (report["requests_per_sec"], cpu * 1e6 / report["requests"], report["errors"],
            report["client"]["cpu_busy"], busy0)

def theirs():
    out, cpu, busy0 = run(["wrk", "-t1", "-c" + conns, "-d" + secs + "s", "-s", lua, url, "--", depth])
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, cpu * 1e6 / requests, int(errors.group(1)) if errors else 0, None, busy0

contenders = backends + ["wrk"]
ratios = {b: ([], []) for b in backends}
for i in range(1, int(pairs) + 1):
    k = (i - 1) % len(contenders)
    order = contenders[k:] + contenders[:k]
    got = {c: (theirs() if c == "wrk" else ours(c)) for c in order}
    w_rps, w_cpu = got["wrk"][0], got["wrk"][1]
    parts = []
    for c in contenders:
        rps, cpu, err, busy, busy0 = got[c]
        mine = f"client busy {busy:.2f}, " if busy is not None else ""
        parts.append(f"{c} {rps:,.0f} req/s, {cpu:.2f} CPU us/req, {mine}cpu0 busy {busy0:.2f}, {err} errors")
        if c != "wrk":
            ratios[c][0].append(rps / w_rps)
            ratios[c][1].append(cpu / w_cpu)
    print(f"pair {i} (order {','.join(order)}): " + "; ".join(parts))
    print("        ratios vs wrk: " + "; ".join(
        f"{b} req/s {ratios[b][0][-1]:.3f}, CPU/req {ratios[b][1][-1]:.3f}" for b in backends))
for b in backends:
    rps, cpu = ratios[b]
    print(f"{b}: median req/s ratio {statistics.median(rps):.3f} ({min(rps):.3f}-{max(rps):.3f}), "
          f"median CPU per request ratio {statistics.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f}) (stampede / wrk)")
PY
