#!/usr/bin/env python3
"""Reads `stampede compare --export-json` files written by ci/validate-compare.sh.

  validate-summary.py --one FILE          one line: verdicts and changes of one run
  validate-summary.py --cpu-us FILE...    base CPU us/request in the duet: plaintext json
  validate-summary.py --summary DIR       alarm and detection rates per experiment
"""
import glob
import json
import os
import statistics
import sys

METRICS = ("throughput", "cpu_per_request")
SHORT = {"throughput": "req/s", "cpu_per_request": "cpu"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def decisions(report, key="decisions"):
    """(workload, metric, decision) for every comparison of the run (gate or null control)."""
    for c in report["comparisons"]:
        pair = c.get(key)
        if pair:
            for m in METRICS:
                yield c["workload"], m, pair[m]


def pct(x, sign=True):
    """A percentage, or n/a for the nulls JSON writes for NaN and infinity."""
    if x is None:
        return "n/a"
    return f"{x:+.1f}%" if sign else f"{x:.1f}%"


def one(path):
    r = load(path)
    parts = [f"{w} {SHORT[m]} {pct(d['change_pct'])} {d['verdict']}" for w, m, d in decisions(r)]
    null = [d for _, _, d in decisions(r, "null_control")]
    moved = sum(d["verdict"] in ("regressed", "improved") for d in null)
    rounds = [len(c["rounds"]) for c in r["comparisons"]]
    return (
        f"{r['verdict']}; " + "; ".join(parts)
        + f"; null control {'moved' if moved else 'quiet'}; rounds {rounds}"
        + (f"; {r['reason']}" if r.get("reason") else "")
    )


def cpu_us(paths):
    by = {"plaintext": [], "json": []}
    for p in paths:
        for c in load(p)["comparisons"]:
            if c["workload"] in by:
                by[c["workload"]] += [
                    x["base"]["cpu_us_per_request"]
                    for x in c["rounds"]
                    if x["screening"]["discarded"] is None
                ]
    return " ".join(f"{statistics.median(by[w]):.3f}" for w in ("plaintext", "json"))


def summary(out):
    lines = []
    for label, meaning in (
        ("aa", "A/A (no change)"),
        ("half", "+2.5% CPU/request (half the threshold)"),
        ("double", "+10% CPU/request (twice the threshold)"),
    ):
        files = sorted(glob.glob(os.path.join(out, f"{label}-*.json")))
        if not files:
            continue
        runs = [load(p) for p in files]
        n = len(runs)
        fam_alarm = sum(
            any(d["verdict"] in ("regressed", "improved") for _, _, d in decisions(r)) for r in runs
        )
        regressed_runs = sum(r["verdict"] == "regressed" for r in runs)
        flagged = sum(
            any(d["verdict"] == "regressed" for _, _, d in decisions(r)) for r in runs
        )
        comps = [d for r in runs for _, _, d in decisions(r)]
        comp_regressed = sum(d["verdict"] == "regressed" for d in comps)
        verdicts = {}
        for r in runs:
            verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
        null_alarm = sum(
            any(d["verdict"] in ("regressed", "improved") for _, _, d in decisions(r, "null_control"))
            for r in runs
        )
        rounds = [len(c["rounds"]) for r in runs for c in r["comparisons"]]
        whole = sum(
            c["discards"]["client_bound"] + c["discards"]["errors"]
            for r in runs for c in r["comparisons"]
        )
        unequal = sum(c["discards"]["unequal_cpu"] for r in runs for c in r["comparisons"])
        changes = {}
        for r in runs:
            for w, m, d in decisions(r):
                if d["change_pct"] is not None:
                    changes.setdefault(f"{w} {SHORT[m]}", []).append(d["change_pct"])
        detect = {}
        for r in runs:
            for w, m, d in decisions(r):
                # null = infinite: too few rounds for any interval.
                detect.setdefault(f"{w} {SHORT[m]}", []).append(
                    d["detectable_pct"] if d["detectable_pct"] is not None else float("inf")
                )
        by_metric = {}
        for r in runs:
            for w, m, d in decisions(r):
                counts = by_metric.setdefault(f"{w} {SHORT[m]}", {})
                counts[d["verdict"]] = counts.get(d["verdict"], 0) + 1
        secs = [r["rounds_elapsed_s"] for r in runs]
        lines.append(f"{label}: {meaning}, {n} runs")
        lines.append(
            f"  family-wise alarms (any of {runs[0]['family_size']} comparisons regressed or improved): {fam_alarm} of {n}"
        )
        lines.append(
            f"  runs with a regressed comparison: {flagged} of {n}; comparisons regressed: {comp_regressed} of {len(comps)}; run verdicts: {verdicts} (exit 1: {regressed_runs})"
        )
        lines.append(f"  null-control family alarms: {null_alarm} of {n}")
        lines.append(
            "  verdicts: "
            + "; ".join(
                f"{k} " + ", ".join(f"{v} {c}" for v, c in sorted(counts.items()))
                for k, counts in by_metric.items()
            )
        )
        lines.append(
            "  median measured change: "
            + ", ".join(f"{k} {statistics.median(v):+.1f}%" for k, v in changes.items())
        )
        lines.append(
            "  median detectable change: "
            + ", ".join(
                f"{k} ±{statistics.median(v):.1f}%" for k, v in detect.items()
            )
        )
        lines.append(
            f"  rounds per target x workload: median {statistics.median(rounds)}, max {max(rounds)}; of {sum(rounds)} rounds {whole} discarded whole (client-bound, errors), {unequal} more left out of req/s (unequal CPU); seconds of rounds per run: median {statistics.median(secs):.0f}"
        )
    return "\n".join(lines)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--one":
        print(one(argv[1]))
    elif len(argv) >= 2 and argv[0] == "--cpu-us":
        print(cpu_us(argv[1:]))
    elif len(argv) == 2 and argv[0] == "--summary":
        print(summary(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
