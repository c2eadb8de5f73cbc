#!/usr/bin/env bash
# soak/report.sh: the soak's counted outcomes, from its pgbench outputs and logs
# ($REL_C), the database ($REL_DB), the events ($REL_EV) and the server log.
# Called by run.sh; prints to stderr like the suite's log.
set -euo pipefail
C="$REL_C" DB="$REL_DB"
say() { printf '    %s\n' "$*" >&2; }
q() { psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# Transactions per kind (pgbench's per-script counts, summed over the segments), with
# the attempts that did nothing: nothing to do (idle) or refused, per SQLSTATE.
awk '/^SQL script [0-9]+:/ { n = split($4, p, "/"); k = p[n]; sub(/\.sql$/, "", k) }
     /^ - [0-9]+ transactions/ { tx[k] += $2 }
     /^ - number of transactions retried:/ { re[k] += $6 }
     END { for (k in tx) print k, tx[k], re[k] + 0 }' "$C"/seg*.main.out > "$C/kinds"
# The run_due sessions run one script: pgbench gives only its totals.
awk '/^number of transactions actually processed:/ { tx += $6 } /^number of transactions retried:/ { re += $5 }
     END { print "run_due", tx + 0, re + 0 }' "$C"/seg*.due.out >> "$C/kinds"
sort -o "$C/kinds" "$C/kinds"
q -c "SELECT kind, outcome, count(*) FROM crm_soak.outcomes GROUP BY 1, 2 ORDER BY 1, 2" > "$C/outcomes"
say "transactions per kind (committed; retried = deadlocks retried by pgbench):"
say "$(printf '%-16s %10s %8s %8s  %s' kind transactions retried idle 'refused (SQLSTATE: count)')"
while read -r kind tx re; do
  idle=$(awk -v k="$kind" '$1 == k && $2 == "idle" { print $3 }' "$C/outcomes")
  ref=$(awk -v k="$kind" '$1 == k && $2 != "idle" { printf "%s%s: %s", sep, $2, $3; sep = ", " }' "$C/outcomes")
  say "$(printf '%-16s %10s %8s %8s  %s' "$kind" "$tx" "$re" "${idle:-0}" "${ref:--}")"
done < "$C/kinds"
say "total: $(awk '{ s += $2 } END { print s }' "$C/kinds") transactions"

say "refusals per SQLSTATE (recorded by crm_soak.attempt): total, then per kind with its most frequent message:"
q <<'SQL' | sed 's/^/      /' >&2
SELECT CASE WHEN kind IS NULL THEN format('%s %8s', outcome, n)
            ELSE format('      %-15s %8s  %s', kind, n, (SELECT left(message, 100) FROM crm_soak.outcomes m
                                                        WHERE m.outcome = o.outcome AND m.kind = o.kind
                                                        GROUP BY message ORDER BY count(*) DESC LIMIT 1)) END
FROM (SELECT outcome, kind, count(*) AS n FROM crm_soak.outcomes WHERE outcome <> 'idle'
      GROUP BY GROUPING SETS ((outcome), (outcome, kind))) o
ORDER BY outcome, kind NULLS FIRST;
SQL
say "errors in the server log (uncaught: the worker, the faults' own victims), per process type and SQLSTATE:"
grep -E '^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] [0-9A-Z]{5} .* (ERROR|FATAL):' "$C/server.log" |
  awk '{ t = ""; for (i = 6; i <= NF && $i !~ /^(ERROR|FATAL):$/; i++) t = t (t ? " " : "") $i; n[$5 " " $i " " t]++ }
       END { for (k in n) printf "      %s  %s\n", k, n[k] }' | sort >&2 || true

say "faults: $(grep -c ' crash ' "$REL_EV" || true) SIGKILL crashes survived, $(grep -c ' storm_on ' "$REL_EV" || true) statement_timeout storms," \
    "$(grep -c ' terminate ' "$REL_EV" || true) scheduler terminations ($(awk '$2 == "terminate" && $NF == 1' "$REL_EV" | wc -l) found a process)," \
    "$(grep -c ' dump ' "$REL_EV" || true) mid-run pg_dump; clients cut: $(grep -c crash "$C/aborts" || true) by crashes, $(grep -c storm "$C/aborts" || true) by storms"
awk -v s="$REL_START" '$2 == "restarted" { printf "      restart %d: %s\n", ++n, substr($0, index($0, $3)) }' "$REL_EV" >&2
say "scheduler: $(q -c "SELECT format('%s runs, %s failing items', runs, failing_items) FROM crm.scheduler_status() WHERE database = current_database()")"

say "rows per table:"
q <<'SQL' | paste -d ' ' - - - | sed 's/^/      /' >&2
SELECT format('SELECT format(''%%-26s %%10s'', %L, count(*)) FROM %s', c.relname, c.oid::regclass)
FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname
\gexec
SQL

# Throughput per 10-second window of wall time from the start of the load: business
# transactions per second (pgbench's progress of the 16 clients, every second), one
# minute per line; marks: C crash, S storm, D pg_dump, T scheduler terminated.
say "throughput per 10 s window (transactions/s; C crash, S storm, D dump, T scheduler terminated):"
grep -h '^progress: ' "$C"/seg*.main.out | awk -v s="$REL_START" -v ev="$REL_EV" '
  BEGIN { while ((getline l < ev) > 0) { split(l, f, " "); w = int((f[1] - s) / 10)
            m = f[2] == "crash" ? "C" : f[2] == "storm_on" ? "S" : f[2] == "dump" ? "D" : f[2] == "terminate" ? "T" : ""
            if (m != "" && index(mark[w], m) == 0) mark[w] = mark[w] m }
          last = 0 }
  { w = int(($2 - s) / 10); if (w >= 0) n[w] += $4; if (w > last) last = w }
  END { for (w = 0; w <= last; w++) {
          if (w % 6 == 0) line = sprintf("%3d:00 ", int(w / 6))
          line = line sprintf(" %6d%-3s", n[w] / 10, mark[w])
          if (w % 6 == 5 || w == last) print "      " line } }' >&2
