"""report.py REGISTRY RAW NOTES OUTDIR SECONDS CLIENTS ROUNDS PGVERSION COMMIT_MODE: writes report.md and results.csv.

REGISTRY: test/bench/workloads.tsv (name kind items title).
RAW rows (tab-separated): scale workload variant clients tps transactions p50_ms p95_ms mean_ms items [cpu_us [instr [load]]]
(items: for a `once` workload, how many rows or due items its one transaction processed; cpu_us:
with --cpu, the server's CPU time per transaction of the point, in µs; instr: with --instructions,
the instructions the server ran per transaction, counted by callgrind).
NOTES rows: behaviour VARIANT RESULT | note SCALE WORKLOAD VARIANT TEXT.
Several rounds of one point are summarised by their median.  BENCH_VARIANTS (environment): the
variants run, in their order (default bare crm plpgsql); with `before` (run.sh --before), a
section compares crm with before round by round.  The raw rows and the notes are kept as OUTDIR/raw.tsv and
OUTDIR/notes.tsv (report.py can be run on them again).
BENCH_COMMAND: the command of the run (a line at the top).  BENCH_CITUS: with the variant citus
(run.sh --variants "crm citus"), its file of points (citus.sh citus_cpu_end: scale workload
variant clients round tps transactions p50 p95 mean, then the CPU µs per transaction of the
single server and of the coordinator and the two workers, and the 1-minute load), from which a
section compares citus with crm round by round; results.csv then has four more columns.
"""
import csv
import datetime
import os
import statistics
import subprocess
import sys

registry, raw, notes, out, secs, clients, rounds, pgversion, commit_mode = sys.argv[1:10]
RUN_VARIANTS = os.environ.get("BENCH_VARIANTS", "bare crm plpgsql").split()
VARIANTS = ["bare", "crm", "plpgsql", "floor"]   # the main tables; `before` has a section of its own
ORDER, KIND, TITLES = [], {}, {}
for line in open(registry):
    if not line.strip() or line.startswith("#"):
        continue
    name, kind, _items, title = line.rstrip("\n").split("\t")
    ORDER.append(name)
    KIND[name], TITLES[name] = ("once" if kind == "large" else kind), title

points, items, cpus, loads = {}, {}, {}, {}   # loads: the 1-minute load average at the end of each point
rounds_cpu, rounds_unit, rounds_instr = {}, {}, {}   # (scale, wl, v, c) -> per round, in order: CPU µs/tx, ms per transaction
for row in csv.reader(open(raw), delimiter="\t"):
    scale, wl, v, c, tps, n, p50, p95, mean, nitems = row[:10]
    rounds_cpu.setdefault((scale, wl, v, int(c)), []).append(float(row[10]) if len(row) > 10 and row[10] else None)
    rounds_instr.setdefault((scale, wl, v, int(c)), []).append(float(row[11]) if len(row) > 11 and row[11] else None)
    rounds_unit.setdefault((scale, wl, v, int(c)), []).append(int(c) * 1000.0 / float(tps) if tps and float(tps) else float(mean))
    points.setdefault((scale, wl, v, int(c)), []).append(
        (float(tps or 0), float(p50), float(p95), float(mean)))
    if nitems:
        items[(scale, wl)] = int(nitems)
    if len(row) > 10 and row[10]:
        cpus.setdefault((scale, wl, v, int(c)), []).append(float(row[10]))
    if len(row) > 12 and row[12]:
        loads.setdefault((scale, wl, v, int(c)), []).append(float(row[12]))
med = {k: tuple(statistics.median(x[i] for x in vals) for i in range(4)) for k, vals in points.items()}
cpu_med = {k: statistics.median(vals) for k, vals in cpus.items()}
scales = sorted({k[0] for k in med}, key=float)
behaviour, notes_rows = [], []
for row in csv.reader(open(notes), delimiter="\t"):
    if row[0] == "behaviour":
        behaviour.append(row[1:])
    else:
        notes_rows.append(row[1:])


def per_item(scale, wl, x):
    """µs per processed item of a `once` workload."""
    n = items.get((scale, wl))
    return x[3] * 1000 / n if x and n else None


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or sh("uname -m")
mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
machine = f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {pgversion}, {sh('uname -sr')}"


def fmt(x, d=2):
    return "n/a" if x is None else f"{x:,.{d}f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def share(crm, bare, pl):
    """crm's extra cost over bare as a fraction of PL/pgSQL's (lower is better)."""
    if None in (crm, bare, pl) or pl - bare <= 0:
        return None
    return (crm - bare) / (pl - bare)


def get(scale, wl, v, c):
    return med.get((scale, wl, v, c))


rows_csv = []
target_rows = []   # (scale, workload, clients, crm/plpgsql, crm/bare, crm/floor, crm, bare, floor µs/item)
md = []
md.append("# crm benchmark report\n")
md.append(f"- Date: {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')}")
md.append(f"- Machine: {machine}")
if os.environ.get("BENCH_COMMAND"):
    md.append(f"- Command: `{os.environ['BENCH_COMMAND']}`")
md.append(f"- crm: commit {os.environ.get('BENCH_COMMIT', 'unknown')}")
md.append(f"- Run: scales {', '.join(scales)}; {secs} s per point; clients {clients}; {rounds} round(s), "
          "variants interleaved point by point; pgbench -M prepared; medians over rounds")
md.append(f"- Cluster: {os.environ.get('BENCH_CLUSTER', 'throwaway')}; {commit_mode}"
          + (" (the CPU cost of the rules, no disk flush per commit)" if "synchronous_commit off" in commit_mode else "")
          + "; every variant is a database of the same cluster, copied from one "
          "generated database, run as the superuser (row-level security bypassed in all three alike)")
if loads:
    all_loads = sorted(x for xs in loads.values() for x in xs)
    md.append(f"- Load (the 1-minute load average at the end of each point, /proc/loadavg): min {all_loads[0]:.2f}, "
              f"median {statistics.median(all_loads):.2f}, max {all_loads[-1]:.2f} over {len(all_loads)} points")
md.append("- Variants: `bare` = crm's tables, indexes and foreign keys with every trigger disabled, rows "
          "written whole by the client; `crm` = the extension; `plpgsql` = crm's tables with its triggers "
          "replaced by test/bench/plpgsql/*.sql; `floor` = the bare database, and every row crm writes "
          "(history, count changes, events, counters) written whole by the client in one statement "
          "(workloads/NAME.floor.sql; no floor point for a workload without one)")
md.append("- Behaviour tests (test/bench/behaviour/*.sql): " +
          ", ".join(f"{v}: {r}" for v, r in behaviour))
md.append("")
md.append("Columns: tps, p50/p95 latency in ms per variant; `crm/bare`, `crm/plpgsql` and `crm/floor` are throughput "
          "ratios (higher is better for crm); `overhead share` is crm's extra latency over bare divided by "
          "PL/pgSQL's (target ≤ 0.67 for single-row writes, ≤ 0.5 for bulk).  For a one-transaction "
          "workload (bulk load, backlog, import), tps is replaced by µs per item (and items per second) and the total time.\n")

md.append("| workload | what it measures |")
md.append("|---|---|")
for wl in ORDER:
    md.append(f"| {wl} | {TITLES[wl]} |")
md.append("")

for scale in scales:
    md.append(f"## Scale {scale}\n")
    md.append("| workload | clients | bare tps | bare p50/p95 | crm tps | crm p50/p95 | plpgsql tps | plpgsql p50/p95 "
              "| floor tps | floor p50/p95 | crm/bare | crm/plpgsql | crm/floor | overhead share |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for wl in ORDER:
        for c in sorted({k[3] for k in med if k[0] == scale and k[1] == wl}):
            vals = {v: get(scale, wl, v, c) for v in VARIANTS}
            cells = []
            if KIND[wl] == "once":
                unit = {v: per_item(scale, wl, vals[v]) for v in VARIANTS}
                for v in VARIANTS:
                    rate = f" ({fmt(1e6 / unit[v], 0)}/s)" if unit[v] else ""
                    cells += [f"{fmt(unit[v])} µs/item{rate}", f"{fmt(vals[v][3] if vals[v] else None, 0)} ms total"]
                r1 = ratio(unit["bare"], unit["crm"])
                r2 = ratio(unit["plpgsql"], unit["crm"])
                r3 = ratio(unit["floor"], unit["crm"])
                sh_ = share(unit["crm"], unit["bare"], unit["plpgsql"])
            else:
                unit = {v: None for v in VARIANTS}
                for v in VARIANTS:
                    x = vals[v]
                    cells += [fmt(x[0] if x else None, 0), f"{fmt(x[1] if x else None)} / {fmt(x[2] if x else None)}"]
                r1 = ratio(vals["crm"][0], vals["bare"][0]) if vals["crm"] and vals["bare"] else None
                r2 = ratio(vals["crm"][0], vals["plpgsql"][0]) if vals["crm"] and vals["plpgsql"] else None
                r3 = ratio(vals["crm"][0], vals["floor"][0]) if vals["crm"] and vals["floor"] else None
                sh_ = share(*(1000.0 * c / vals[v][0] if vals[v] and vals[v][0] else None
                              for v in ("crm", "bare", "plpgsql"))) if KIND[wl] == "write" else None
            md.append(f"| {wl} | {c} | " + " | ".join(cells) +
                      f" | {fmt(r1)} | {fmt(r2)} | {fmt(r3)} | {fmt(sh_) if KIND[wl] != 'read' else '—'} |")
            target_rows.append((scale, wl, c, r2, r1, r3, unit["crm"], unit["bare"], unit["floor"]))
            for v in VARIANTS:
                x = vals[v]
                if not x:
                    continue
                cpu_v = cpu_med.get((scale, wl, v, c))
                rows_csv.append([scale, wl, v, c, f"{x[0]:.1f}", f"{x[1]:.3f}", f"{x[2]:.3f}", f"{x[3]:.3f}",
                                 items.get((scale, wl), ""), f"{unit[v]:.3f}" if unit[v] is not None else "",
                                 fmt(r1, 3) if v == "crm" else "", fmt(r2, 3) if v == "crm" else "",
                                 fmt(sh_, 3) if v == "crm" and sh_ is not None else "",
                                 fmt(r3, 3) if v == "crm" and r3 is not None else "",
                                 f"{cpu_v:.1f}" if cpu_v is not None else ""])
    md.append("")
    if any(k[0] == scale for k in cpu_med):
        md.append(f"### Scale {scale}: server CPU per transaction (--cpu)\n")
        md.append("Median µs of CPU time of the server's processes per transaction (perf task-clock of "
                  "the postmaster and what it forks during the timed point; pgbench itself not counted).\n")
        md.append("`crm/plpgsql CPU` and `crm/floor CPU`: the other variant's CPU per transaction divided by "
                  "crm's (as throughput ratios: higher is better for crm).\n")
        md.append("| workload | clients | " + " | ".join(f"{v} µs" for v in VARIANTS)
                  + " | crm − bare µs | crm/plpgsql CPU | crm/floor CPU |")
        md.append("|---|---:|" + "---:|" * (len(VARIANTS) + 3))
        for wl in ORDER:
            for c in sorted({k[3] for k in cpu_med if k[0] == scale and k[1] == wl}):
                cv = {v: cpu_med.get((scale, wl, v, c)) for v in VARIANTS}
                d = cv["crm"] - cv["bare"] if cv["crm"] is not None and cv["bare"] is not None else None
                md.append(f"| {wl} | {c} | " + " | ".join(fmt(cv[v], 1) for v in VARIANTS) + f" | {fmt(d, 1)} | "
                          f"{fmt(ratio(cv['plpgsql'], cv['crm']))} | {fmt(ratio(cv['floor'], cv['crm']))} |")
        md.append("")

def instr_of(scale, wl, v, c):
    xs = [x for x in rounds_instr.get((scale, wl, v, c), []) if x is not None]
    return statistics.median(xs) if xs else None


if any(x is not None for xs in rounds_instr.values() for x in xs):
    md.append("## Instructions per transaction (--instructions)\n")
    md.append("Instructions the server's processes ran per transaction, counted by callgrind, which the "
              "machine's load does not move (a one-transaction workload: per item); the ratios are "
              "the other variant's count divided by crm's (as throughput ratios: higher is better for crm).\n")
    md.append("| scale | workload | clients | bare | crm | plpgsql | floor | crm/bare | crm/plpgsql | crm/floor |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scale in scales:
        for wl in ORDER:
            for c in sorted({k[3] for k in med if k[0] == scale and k[1] == wl}):
                iv = {v: instr_of(scale, wl, v, c) for v in VARIANTS}
                if KIND[wl] == "once":
                    n = items.get((scale, wl))
                    iv = {v: (x / n if x is not None and n else None) for v, x in iv.items()}
                if iv["crm"] is None:
                    continue
                md.append(f"| {scale} | {wl} | {c} | " + " | ".join(fmt(iv[v], 0) for v in VARIANTS) + " | "
                          + " | ".join(fmt(ratio(iv[v], iv["crm"])) for v in ("bare", "plpgsql", "floor")) + " |")
    md.append("")

if target_rows:
    md.append("## Targets\n")
    md.append("Single-row writes: crm/plpgsql ≥ 2.0 and crm/floor ≥ 0.77 (throughput ratios, 1 and every client "
              "count); bulk loads (one-transaction lead loads): crm at most 2× the bare floor per row "
              "(crm µs/row ÷ bare µs/row ≤ 2.0).  `missed by`: how far the ratio is from its target.\n")
    md.append("| scale | workload | clients | crm/plpgsql | crm/bare | crm/floor | crm µs/row ÷ bare | missed by |")
    md.append("|---|---|---:|---:|---:|---:|---:|---|")
    for scale, wl, c, r2, r1, r3, ucrm, ubare, ufloor in target_rows:
        if KIND[wl] == "read":
            continue
        missed = []
        per_row = ratio(ucrm, ubare) if KIND[wl] == "once" else None
        if KIND[wl] == "write":
            if r2 is not None and r2 < 2.0:
                missed.append(f"crm/plpgsql {fmt(2.0 - r2)} short")
            if r3 is not None and r3 < 0.77:
                missed.append(f"crm/floor {fmt(0.77 - r3)} short")
        elif not wl.startswith("lead_bulk"):
            per_row = None   # the per-row target is the bulk loads'
        elif per_row is not None and per_row > 2.0:
            missed.append(f"per row {fmt(per_row / 2.0)}× over 2× bare")
        md.append(f"| {scale} | {wl} | {c} | {fmt(r2)} | {fmt(r1)} | {fmt(r3)} | {fmt(per_row)} | "
                  + ("; ".join(missed) if missed else
                     "met" if (KIND[wl] == "write" and None not in (r2, r3)) or per_row is not None else "—")
                  + " |")
    md.append("")


def per_round(series, scale, wl, c):
    """crm ÷ before of SERIES (rounds_cpu or rounds_unit), round by round (the points of a round
    taken side by side)."""
    b, a = series.get((scale, wl, "before", c), []), series.get((scale, wl, "crm", c), [])
    return [ratio(x, y) for x, y in zip(a, b) if x is not None and y]


if "before" in RUN_VARIANTS:
    for scale in scales:
        md.append(f"## Scale {scale}: crm against before (--before)\n")
        md.append("`before` is crm at the commit given to --before, in a cluster of its own run by a copy "
                  "of the same PostgreSQL, on data of the same generator; in every round each point of "
                  "`before` runs beside the same point of `crm` (which one first alternates by round).  "
                  "CPU µs: the server's CPU time per transaction (a one-transaction workload: the whole "
                  "transaction), median over rounds; `crm/before CPU`: the median of the rounds' ratios "
                  "(lower is better: 1.05 = 5 % more CPU per transaction), then the lowest and the highest "
                  "round; `wall`: the same for time per transaction.\n")
        md.append("| workload | clients | before CPU µs | crm CPU µs | crm/before CPU | rounds min – max | crm/before wall |")
        md.append("|---|---:|---:|---:|---:|---:|---:|")
        for wl in ORDER:
            for c in sorted({k[3] for k in med if k[0] == scale and k[1] == wl}):
                rc, rw = per_round(rounds_cpu, scale, wl, c), per_round(rounds_unit, scale, wl, c)
                if not rc and not rw:
                    continue
                cb, ca = cpu_med.get((scale, wl, "before", c)), cpu_med.get((scale, wl, "crm", c))
                md.append(f"| {wl} | {c} | {fmt(cb, 1)} | {fmt(ca, 1)} | "
                          f"{fmt(statistics.median(rc) if rc else None, 3)} | "
                          f"{fmt(min(rc) if rc else None, 3)} – {fmt(max(rc) if rc else None, 3)} | "
                          f"{fmt(statistics.median(rw) if rw else None, 3)} |")
        md.append("")
        if any(x is not None for k, xs in rounds_instr.items() if k[0] == scale for x in xs):
            md.append(f"### Scale {scale}: instructions, crm against before (--instructions)\n")
            md.append("Instructions the server's processes ran per transaction, counted by callgrind, "
                      "which the machine's load does not move (a one-transaction workload: the whole "
                      "transaction); median over rounds.\n")
            md.append("| workload | clients | before instr/tx | crm instr/tx | crm/before |")
            md.append("|---|---:|---:|---:|---:|")
            for wl in ORDER:
                for c in sorted({k[3] for k in med if k[0] == scale and k[1] == wl}):
                    ib = [x for x in rounds_instr.get((scale, wl, "before", c), []) if x is not None]
                    ia = [x for x in rounds_instr.get((scale, wl, "crm", c), []) if x is not None]
                    if not ib or not ia:
                        continue
                    mb, ma = statistics.median(ib), statistics.median(ia)
                    md.append(f"| {wl} | {c} | {fmt(mb, 0)} | {fmt(ma, 0)} | {fmt(ratio(ma, mb), 3)} |")
            md.append("")

if len(scales) > 1:
    lo, hi = scales[0], scales[-1]
    md.append(f"## Scale curve (crm, 1 client: mean latency in ms; one-transaction workloads: µs per item)\n")
    md.append("| workload | " + " | ".join(f"scale {s}" for s in scales) + f" | growth {lo} → {hi} |")
    md.append("|---|" + "---:|" * (len(scales) + 1))
    for wl in ORDER:
        vals = []
        for s in scales:
            x = get(s, wl, "crm", 1)
            vals.append(per_item(s, wl, x) if KIND[wl] == "once" else (x[3] if x else None))
        if all(v is None for v in vals):
            continue
        g = ratio(vals[-1], vals[0])
        md.append(f"| {wl} | " + " | ".join(fmt(v, 3) for v in vals) + f" | {fmt(g)}× |")
    md.append("")

if len(scales) > 1 and (cpus or any(x is not None for xs in rounds_instr.values() for x in xs)):
    lo, hi = scales[0], scales[-1]
    md.append(f"## Cost growth, scale {lo} → {hi} (per operation: CPU µs and instructions per transaction, per item for a one-transaction workload)\n")
    md.append("The server's cost of one operation at the first and the last scale of the run, median over rounds, and "
              "its growth (last ÷ first; target ≤ 1.5).  `load`: the 1-minute load average at the end of the "
              "last scale's point.\n")
    md.append("| workload | variant | clients | CPU µs " + lo + " | CPU µs " + hi + " | CPU growth | instr " + lo
              + " | instr " + hi + " | instr growth | load | over 1.5× |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")

    def unit(scale, wl, x):
        n = items.get((scale, wl)) if KIND[wl] == "once" else None
        return None if x is None else (x / n if n else x)
    for wl in ORDER:
        for v in VARIANTS + ["before"]:
            for c in sorted({k[3] for k in med if k[1] == wl and k[2] == v}):
                cl, ch = unit(lo, wl, cpu_med.get((lo, wl, v, c))), unit(hi, wl, cpu_med.get((hi, wl, v, c)))
                il = [x for x in rounds_instr.get((lo, wl, v, c), []) if x is not None]
                ih = [x for x in rounds_instr.get((hi, wl, v, c), []) if x is not None]
                il = unit(lo, wl, statistics.median(il)) if il else None
                ih = unit(hi, wl, statistics.median(ih)) if ih else None
                if cl is None and ch is None and il is None and ih is None:
                    continue
                gc, gi = ratio(ch, cl), ratio(ih, il)
                ld = loads.get((hi, wl, v, c))
                over = [f"{n} {g:.2f}×" for n, g in (("CPU", gc), ("instructions", gi)) if g is not None and g > 1.5]
                md.append(f"| {wl} | {v} | {c} | {fmt(cl, 1)} | {fmt(ch, 1)} | {fmt(gc)} | {fmt(il, 0)} | {fmt(ih, 0)} | "
                          f"{fmt(gi)} | {fmt(statistics.median(ld) if ld else None)} | {'; '.join(over) or '—'} |")
    md.append("")

CITUS_COLS = []
if "citus" in RUN_VARIANTS and os.environ.get("BENCH_CITUS"):
    import citus_report
    CITUS_COLS = citus_report.section(md, rows_csv, os.environ["BENCH_CITUS"], ORDER, TITLES, notes_rows, fmt, ratio)

if notes_rows:
    md.append("## Notes measured after the points\n")
    md.append("| scale | workload | variant | note |")
    md.append("|---|---|---|---|")
    for scale, wl, v, text in notes_rows:
        md.append(f"| {scale} | {wl} | {v} | {text} |")
    md.append("")

import shutil
for src, name in ((raw, "raw.tsv"), (notes, "notes.tsv")):   # every point of every round, and the notes
    dst = os.path.join(out, name)
    if not (os.path.exists(dst) and os.path.samefile(src, dst)):
        shutil.copy(src, dst)
with open(os.path.join(out, "results.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["scale", "workload", "variant", "clients", "tps", "p50_ms", "p95_ms", "mean_ms", "items", "us_per_item",
                "crm_over_bare", "crm_over_plpgsql", "overhead_share", "crm_over_floor", "cpu_us_per_tx"] + CITUS_COLS)
    w.writerows(rows_csv)
with open(os.path.join(out, "report.md"), "w") as f:
    f.write("\n".join(md) + "\n")
print("\n".join(md))
