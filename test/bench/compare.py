"""compare.py BEFORE AFTER [TITLE]: crm before and after a change, from run.sh's results.csv.

BEFORE and AFTER are result directories of test/bench/run.sh (--out), or several separated by
commas (runs of the two trees taken in turn): each value is the median over its directories.
Prints a markdown table per scale and client count, one row per workload:
  crm µs/tx        the server's CPU time per transaction (run.sh --cpu), before and after;
  after/before     of that CPU time (lower is better; 1.05 = 5 % more CPU per transaction);
  crm tps          after / before of crm's throughput (items per second for a one-transaction
                   workload; higher is better);
  crm/bare         crm/bare after divided by crm/bare before (higher is better): the rules'
                   cost against the bare schema of the same tree, which also moves when the
                   schema itself (policies, constraints) changes.
"""
import csv
import os
import statistics
import sys


def load(dirs):
    runs = {}
    for d in dirs.split(","):
        for row in csv.DictReader(open(os.path.join(d, "results.csv"))):
            key = (row["scale"], row["workload"], int(row["clients"]))
            cell = runs.setdefault(key, {}).setdefault(row["variant"], {"tps": [], "cpu": []})
            if row["us_per_item"]:   # a one-transaction workload: items per µs
                cell["tps"].append(1 / float(row["us_per_item"]))
            elif row["tps"]:
                cell["tps"].append(float(row["tps"]))
            if row.get("cpu_us_per_tx"):
                cell["cpu"].append(float(row["cpu_us_per_tx"]))
    return {k: {v: {m: statistics.median(x) if x else None for m, x in c.items()} for v, c in vs.items()}
            for k, vs in runs.items()}


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(x, d=2):
    return "n/a" if x is None else f"{x:,.{d}f}"


before, after = load(sys.argv[1]), load(sys.argv[2])
title = sys.argv[3] if len(sys.argv) > 3 else "crm after ÷ before"
order = [line.split("\t")[0] for line in open(os.path.join(os.path.dirname(__file__), "workloads.tsv"))
         if line.strip() and not line.startswith("#")]
for scale, clients in sorted({(k[0], k[2]) for k in before if k in after}, key=lambda x: (float(x[0]), x[1])):
    print(f"{title}: scale {scale}, {clients} client(s)\n")
    print("| workload | crm µs/tx before | crm µs/tx after | after/before | crm tps | crm/bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for wl in order:
        key = (scale, wl, clients)
        if key not in before or key not in after:
            continue
        b, a = before[key], after[key]
        get = lambda side, v, m: side.get(v, {}).get(m)
        cpu_b, cpu_a = get(b, "crm", "cpu"), get(a, "crm", "cpu")
        tps = ratio(get(a, "crm", "tps"), get(b, "crm", "tps"))
        rel = ratio(ratio(get(a, "crm", "tps"), get(a, "bare", "tps")),
                    ratio(get(b, "crm", "tps"), get(b, "bare", "tps")))
        print(f"| {wl} | {fmt(cpu_b, 1)} | {fmt(cpu_a, 1)} | {fmt(ratio(cpu_a, cpu_b))} | {fmt(tps)} | {fmt(rel)} |")
    print()
