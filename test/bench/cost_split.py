#!/usr/bin/env python3
"""Where a workload's instructions go: per transaction, by part of crm.

    INSTR_KEEP=DIR test/bench/run.sh --instructions 200 ...   # keeps callgrind's files per point
    test/bench/cost_split.py DIR [SCALE]                      # one table, every workload

For each point directory DIR/SCALE.WORKLOAD.VARIANT.CLIENTS the files are in the order the
backends exited, two per pgbench run (its first connection, then its client): the last two
are the measured run (-t 10+N), the two before them the base run (-t 10), as run.sh counts
them; per transaction is (measured - base) / N.  A one-transaction workload (lead_bulk,
run_due, import) is its last run whole.

A part's cost is the inclusive cost of its functions, counted only from callers outside the
part (so that nothing is counted twice): callgrind_annotate --tree=caller --inclusive=yes.
"""
import collections
import glob
import os
import re
import subprocess
import sys

# part: (end of the source file's path, function name regex); a function is of the first part
# it matches.  (Only the entries callgrind_annotate names with their object are read: it lists
# some functions a second time under another spelling of their file.)
PARTS = [
    ("identity", [
        ("src/identity.c", r".*"),
        ("src/actor.c", r".*"),
        ("src/tenancy.c", r"crm_(account_guard|current_account|session_account|require_account|employee_or_null)$"),
        ("src/customers.c", r"crm_(customer_guard|customer_data_account)$"),
        ("src/clients.c", r"crm_can_see_customers$"),
    ]),
    ("locks", [
        ("kit/locks.c", r".*"),
        ("kit/citus.c", r".*"),
        ("???", r"pg_(try_)?advisory_xact_lock_int4$"),
    ]),
    ("events", [("src/events.c", r".*")]),
    ("notifications", [("src/notifications.c", r".*")]),
    ("values", [("src/values.c", r".*")]),
]
ONCE = {"lead_bulk", "run_due", "import"}
N = 200

line_re = re.compile(r"^\s*([\d,]+) \([ \d.]+%\)\s+([<*>])\s+(\S+?)(?: \((\d[\d,]*)x\))? \[")


def part_of(fn):
    """fn is 'path/file.c:name' or '???:name'."""
    path, _, name = fn.rpartition(":")
    name = name.split("'")[0]
    for part, rules in PARTS:
        for f, rx in rules:
            if ("/" + path).endswith("/" + f) and re.match(rx, name):
                return part
    return None


def costs(path):
    """{part: instructions} for one callgrind file."""
    out = subprocess.run(["callgrind_annotate", "--auto=no", "--inclusive=yes", "--tree=caller", "--threshold=100", path],
                         capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.abspath(path))).stdout
    result = collections.Counter()
    callers = []
    for line in out.splitlines():
        m = line_re.match(line)
        if not m:
            if not line.strip():
                callers = []
            continue
        cost, kind, fn = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
        if kind == "<":
            callers.append((fn, cost))
        elif kind == "*":
            part = part_of(fn)
            if part:
                result[part] += sum(c for caller, c in callers if part_of(caller) != part)
            callers = []
    total = re.search(r"^(?:summary|totals): *(\d+)", open(path).read(), re.M)
    result["total"] = int(total.group(1)) if total else 0
    return result


def point(d, workload):
    files = sorted(glob.glob(os.path.join(d, "cg.*")), key=lambda f: int(f.rsplit(".", 1)[1]))
    files = [f for f in files if os.path.getsize(f) > 0]
    if workload in ONCE:
        c = collections.Counter()
        for f in files[-2:]:
            c.update(costs(f))
        return {k: v for k, v in c.items()}
    measured, base = collections.Counter(), collections.Counter()
    for f in files[-2:]:
        measured.update(costs(f))
    for f in files[-4:-2]:
        base.update(costs(f))
    return {k: (measured[k] - base[k]) / N for k in set(measured) | set(base)}


def main():
    top = sys.argv[1]
    scale = sys.argv[2] if len(sys.argv) > 2 else "0.01"
    rows = collections.OrderedDict()
    for d in sorted(glob.glob(os.path.join(top, scale + ".*"))):
        wl, variant, _ = os.path.basename(d)[len(scale) + 1:].rsplit(".", 2)
        rows.setdefault(wl, {})[variant] = point(d, wl)
    parts = ["total"] + [p for p, _ in PARTS]
    print("| workload | " + " | ".join(f"{p} before | {p} crm | {p} +" for p in parts) + " |")
    print("|---|" + "---:|" * (3 * len(parts)))
    for wl, v in rows.items():
        b, c = v.get("before", {}), v.get("crm", {})
        cells = []
        for p in parts:
            x, y = b.get(p, 0), c.get(p, 0)
            cells += [f"{x:,.0f}", f"{y:,.0f}", f"{y - x:+,.0f}"]
        print(f"| {wl} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
