"""citus_report.py: the section of report.py for the variant citus (run.sh --variants "crm citus").

section(md, rows_csv, path, order, titles, notes_rows, fmt, ratio) appends to the report's lines
`md` the comparison of citus with crm, the routing points and the derived capacity of an added
worker, adds the variant's rows to `rows_csv` (and the four columns it returns to every row), and
returns the names of those columns.

The file at `path` (test/bench/citus.sh, citus_cpu_end): one row per point, tab-separated:
scale workload variant clients round tps transactions p50 p95 mean cpu_single cpu_coordinator
cpu_worker1 cpu_worker2 load (CPU: µs per transaction of that node's server processes; load: the
1-minute load average when the point ended).
"""
import csv
import statistics

COLS = ["citus_over_crm", "cpu_us_single", "cpu_us_coordinator", "cpu_us_workers"]
ROUTES = {"citus_route": "one routed statement, no transaction block: `SELECT 1 FROM crm.accounts WHERE id = $1`",
          "citus_route_tx": "the same statement in a tenant transaction (BEGIN; SET LOCAL ×2; SELECT; COMMIT)"}


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def section(md, rows_csv, path, order, titles, notes_rows, fmt, ratio):
    pts = {}   # (scale, wl, v, c) -> [(round, tps, p50, p95, mean, single, coord, w1, w2, load)]
    loads = []
    for row in csv.reader(open(path), delimiter="\t"):
        if len(row) < 15:
            continue
        scale, wl, v, c, rnd = row[:5]
        tps, n, p50, p95, mean, single, coord, w1, w2, load = (float(x) if x not in ("", "NA") else None for x in row[5:15])
        pts.setdefault((scale, wl, v, int(c)), []).append((int(rnd), tps, p50, p95, mean, single, coord, w1, w2))
        loads.append(load)
    if not pts:
        return []
    scales = sorted({k[0] for k in pts}, key=float)
    limits = {(s, w): t for s, w, v, t in notes_rows if v == "citus" and t.startswith("not run on Citus")}
    failed = {}
    for s, w, v, t in notes_rows:
        if v == "citus" and " not run: " in t:
            failed.setdefault((s, w), []).append(t)

    def med(key, i):
        return median(x[i] for x in pts.get(key, []))

    def per_round(key_crm, key_citus):
        a = {x[0]: x[1] for x in pts.get(key_citus, [])}
        b = {x[0]: x[1] for x in pts.get(key_crm, [])}
        return [ratio(a[r], b[r]) for r in sorted(a) if r in b and a[r] is not None]

    def workers(key):
        return median((x[7] or 0) + (x[8] or 0) for x in pts.get(key, []))

    loads = [x for x in loads if x is not None]
    md.append("## Citus: through the coordinator against one server (--variants \"crm citus\")\n")
    md.append("`citus` is crm on a Citus cluster of a coordinator and two workers on this machine "
              "(test/suites/lib/citus.sh), `crm.distribute()`, the rows of the crm variant's database "
              "copied in through the coordinator; `crm` the single server of the same run.  Both run the "
              "same text, each transaction as a tenant session sends it through the coordinator (the "
              "README's recipe): `BEGIN; SET LOCAL crm.account_id = N; SET LOCAL crm.employee_id = 2; "
              "<the workload's statements>; COMMIT`, with `citus.propagate_set_commands = 'local'` for "
              "the Citus database; a workload that picks its account per transaction is one script per "
              "account, pgbench choosing one per transaction.  Every node and pgbench share this "
              "machine's cores, so the cluster cannot add throughput here: the wall-time columns show "
              "the cost per operation of going through the coordinator on a shared machine, and the CPU "
              "columns say where it is spent.\n")
    if loads:
        md.append(f"- Load (1-minute load average as each point ended): {min(loads):.2f} – {max(loads):.2f}, "
                  f"median {statistics.median(loads):.2f}, on {_cpus()} CPUs.")
    md.append("- `citus/crm`: throughput ratio, the median of the rounds' ratios (each round's two points "
              "taken side by side, their order alternating), then the lowest and highest round.")
    md.append("- `ms/tx`: mean latency; `added ms`: citus − crm.  CPU µs per transaction: the server "
              "processes of each node (utime + stime of the backends its postmaster reaped during the "
              "point, in clock ticks of 10 ms), median over rounds; `workers` is both workers together.\n")
    for scale in scales:
        md.append(f"### Scale {scale}: the write workloads\n")
        md.append("| workload | clients | crm tps | citus tps | citus/crm | rounds min – max | crm ms/tx | citus ms/tx "
                  "| added ms | crm CPU µs | coordinator CPU µs | workers CPU µs | citus CPU ÷ crm CPU |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for wl in order + [w for w in ROUTES]:
            cs = sorted({k[3] for k in pts if k[0] == scale and k[1] == wl})
            if wl in ROUTES:
                if cs and wl == "citus_route":
                    md.append("| **routing** (" + "; ".join(f"`{w}`: {t}" for w, t in ROUTES.items()) + ") | | | | | | | | | | | | |")
            elif (scale, wl) in limits:
                md.append(f"| {wl} | all | | | — | | | | | | | | {limits[(scale, wl)]} |")
                continue
            for c in cs:
                kc, kz = (scale, wl, "crm", c), (scale, wl, "citus", c)
                rs = per_round(kc, kz)
                crm_ms, cit_ms = med(kc, 4), med(kz, 4)
                single, coord, work = med(kc, 5), med(kz, 6), workers(kz)
                tot = (coord or 0) + (work or 0) if coord is not None else None
                note = "; ".join(failed.get((scale, wl), [])) if (scale, wl) in failed and not pts.get(kz) else ""
                md.append(f"| {wl} | {c} | {fmt(med(kc, 1), 0)} | {fmt(med(kz, 1), 0)} | "
                          f"{fmt(median(rs), 3)} | {fmt(min(rs) if rs else None, 3)} – {fmt(max(rs) if rs else None, 3)} | "
                          f"{fmt(crm_ms)} | {fmt(cit_ms)} | {fmt(cit_ms - crm_ms if None not in (crm_ms, cit_ms) else None)} | "
                          f"{fmt(single, 0)} | {fmt(coord, 0)} | {fmt(work, 0)} | "
                          f"{fmt(ratio(tot, single)) if tot else note or 'n/a'} |")
                for v, key in (("crm", kc), ("citus", kz)):
                    if not pts.get(key):
                        continue
                    extra = [fmt(median(rs), 3) if v == "citus" and rs else "",
                             f"{single:.1f}" if v == "crm" and single is not None else "",
                             f"{coord:.1f}" if v == "citus" and coord is not None else "",
                             f"{work:.1f}" if v == "citus" and work is not None else ""]
                    mine = [r for r in rows_csv if r[:4] == [scale, wl, v, c]]
                    if mine:
                        mine[0].extend(extra)
                    else:
                        rows_csv.append([scale, wl, v, c, f"{med(key, 1):.1f}", f"{med(key, 2):.3f}", f"{med(key, 3):.3f}",
                                         f"{med(key, 4):.3f}", "", "", "", "", "", "", ""] + extra)
        md.append("")
        derived(md, scale, pts, order, limits, med, workers, fmt)
    for r in rows_csv:
        r.extend([""] * (15 + len(COLS) - len(r)))
    return COLS


def derived(md, scale, pts, order, limits, med, workers, fmt):
    """What an added worker adds, from the CPU per transaction (derived, not measured as throughput)."""
    c0 = min((k[3] for k in pts if k[0] == scale), default=None)
    if c0 is None:
        return
    md.append(f"### Scale {scale}: what an added worker adds (derived from the CPU per transaction, {c0} client(s))\n")
    md.append("Derived, not measured: this machine cannot run a worker on cores of its own.  A worker's "
              "capacity on its own cores is that of one server holding its shards: per core, "
              "10⁶ ÷ (the workers' CPU µs per transaction) transactions per second of the workload.  "
              "The coordinator does its own part of every transaction (planning, routing, the "
              "round trips to the worker, the commit), which no worker takes off it: one coordinator core "
              "carries 10⁶ ÷ (coordinator CPU µs) transactions per second, so it feeds "
              "(workers µs ÷ coordinator µs) worker cores; past that, an added worker adds nothing "
              "until the coordinator gets more cores (connecting tenant sessions to the workers "
              "directly was not measured).  "
              "`one server` is the single server's 10⁶ ÷ (its CPU µs) per core, for comparison.\n")
    md.append("| workload | one server tx/s per core | a worker tx/s per core | coordinator tx/s per core "
              "| worker cores one coordinator core feeds |")
    md.append("|---|---:|---:|---:|---:|")
    for wl in order + ["citus_route", "citus_route_tx"]:
        kc, kz = (scale, wl, "crm", c0), (scale, wl, "citus", c0)
        if (scale, wl) in limits or not pts.get(kz):
            continue
        single, coord, work = med(kc, 5), med(kz, 6), workers(kz)
        per = (lambda us: 1e6 / us if us else None)
        md.append(f"| {wl} | {fmt(per(single), 0)} | {fmt(per(work), 0)} | {fmt(per(coord), 0)} | "
                  f"{fmt(work / coord if coord and work else None, 2)} |")
    md.append("")


def _cpus():
    import os
    return os.cpu_count()
