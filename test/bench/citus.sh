# test/bench/citus.sh: the benchmark's variant `citus`, sourced by run.sh (which sets W,
# PSQL, AS, SECS, the cluster settings and the bench variables); not run alone.
#
# The variant: crm on a Citus cluster of a coordinator and two workers
# (test/suites/lib/citus.sh), every workload through the coordinator as a tenant
# session, against the variant crm on one server in the same run.
#
#   citus_bench_start            starts the cluster (database b_citus, nodes under $W/citus)
#   citus_bench_setup SCALE      crm distributed (BENCH_CITUS_SHARDS shards, default 8), the
#                                rows of b_crm copied in through the coordinator with every
#                                node's triggers off, the coordinator's sequences set as
#                                b_crm's, schema public (the bench's own tables) as local
#                                tables of the coordinator; checks that every crm table
#                                holds as many rows as in b_crm
#   tenant_scripts FILE          the pgbench -f arguments of FILE as a tenant session
#   citus_cpu_begin / _end       the server CPU time of each node per transaction of a point
#   citus_limit WORKLOAD         why the workload cannot run on Citus (empty: it can)
#   citus_routing SCALE ROUND    the routing points (workloads/citus_route*.sql) on crm and citus
#
# BENCH_CITUS_STATEMENTS=1: the nodes also preload pg_stat_statements (track = all,
# track_planning = on), reset on the workers before each citus point; after it, the
# statements that took the workers' time, per transaction (planning + execution, ms), go to
# the report's notes.  It costs CPU itself: not for the CPU figures.
#
# A tenant session (the README's "A tenant session, through the coordinator"): each
# transaction is BEGIN; SET LOCAL crm.account_id = N; SET LOCAL crm.employee_id = 2;
# the workload's statements; COMMIT, with citus.propagate_set_commands = 'local' set for
# database b_citus.  In a run with the variant citus, the variant crm runs the same text
# on one server, so the two differ by Citus alone.  set_config() is not propagated and SET
# takes no parameter under pgbench -M prepared: a workload that picks its account per
# transaction (\set acct random(1, :naccounts)) becomes one script per account, the account
# written in each, and pgbench picks a script per transaction.
#
# The CPU time of a node: utime + stime + cutime + cstime of its postmaster
# (/proc/PID/stat), which holds the CPU time of every backend it has reaped: read
# before and after a point, once the point's backends (and on the workers, the
# coordinator's connections) have exited.

CITUS_STARTED=0
CITUS_TSV="$W/citus.tsv"; : > "$CITUS_TSV"
CLK_TCK="$(getconf CLK_TCK)"

# The write workloads that cannot run through the coordinator, and why (the README's
# limits on Citus, "What is refused").
declare -A CITUS_LIMITS=()
if [ "$AS" = service ]; then
  CITUS_LIMITS[payment_failed]="its INSERT ... SELECT reads the bench's local table public.bench_fail_invoices, which Citus runs through the coordinator as a COPY into the shard, and COPY FROM into a crm table is refused for every crm role under row-level security (README, Leads: \"COPY FROM not supported with row-level security\"); as postgres it runs"
fi

citus_limit() { echo "${CITUS_LIMITS[$1]:-}"; }

citus_bench_start() {
  local conf=("shared_buffers = 256MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" "autovacuum = off")
  if [ "$DURABLE" = 1 ]; then conf+=("fsync = on" "synchronous_commit = on"); fi
  if [ "${BENCH_CITUS_STATEMENTS:-0}" = 1 ]; then
    export CITUS_EXTRA_PRELOAD=pg_stat_statements
    conf+=("pg_stat_statements.track = all" "pg_stat_statements.track_planning = on")
  fi
  export CITUS_DB=b_citus CITUS_DIR="$W/citus"
  : "${CRM_TMP:=$W}"
  . test/suites/lib/citus.sh
  citus_build || { echo "the variant citus needs Citus (test/suites/lib/citus.sh citus_build)" >&2; exit 2; }
  citus_cluster_start "${conf[@]}"
  CITUS_STARTED=1
  trap cleanup EXIT   # citus_cluster_start set its own
  [ "${BENCH_CITUS_STATEMENTS:-0}" = 0 ] || citus_psql 0 -c 'CREATE EXTENSION pg_stat_statements' >/dev/null
}

citus_bench_stop() {
  [ "$CITUS_STARTED" = 1 ] || return 0
  CITUS_STARTED=0; citus_cluster_stop
}

citus_host() { echo "$CITUS_DIR/n0"; }

citus_tables() {
  psql -X -At -d b_crm -c "SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' ORDER BY 1"
}

# citus_bench_setup SCALE: b_citus with the rows of b_crm (made by setup_scale).
citus_bench_setup() {
  local t0=$SECONDS t n out rows=0 total=0
  if [ "$(citus_val 0 -c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'crm.%'")" != 0 ]; then
    citus_cluster_stop; citus_bench_start
  fi
  out="$(PGOPTIONS="-c citus.shard_count=${BENCH_CITUS_SHARDS:-8} -c client_min_messages=warning" citus_val 0 -c 'SELECT crm.distribute()')"
  log "citus: $out"
  # the load: every node's triggers (and foreign-key checks) off, as the generator wrote b_crm
  # (Citus propagates the coordinator's ALTER DATABASE ... SET to the workers)
  citus_psql 0 -c "ALTER DATABASE b_citus SET session_replication_role = replica"
  for t in $(citus_tables); do
    n="$(psql -X -At -d b_crm -c "SELECT count(*) FROM $t")"
    [ "$n" != 0 ] || continue
    psql -X -q -d b_crm -c "COPY $t TO STDOUT" | citus_psql 0 -c "COPY $t FROM STDIN"
    total=$((total + n))
  done
  citus_psql 0 -c "ALTER DATABASE b_citus RESET session_replication_role"
  # the coordinator draws the ids of rows inserted through it: b_crm's positions
  psql -X -At -d b_crm -c "SELECT format('SELECT setval(%L, %s, true);', schemaname || '.' || sequencename, last_value)
                           FROM pg_sequences WHERE schemaname = 'crm' AND last_value IS NOT NULL" | citus_psql 0 >/dev/null
  # the bench's own tables, sequences and variables: local tables of the coordinator
  pg_dump -d b_crm -n public --no-owner --no-privileges --section=pre-data --section=data --section=post-data |
    grep -v '^CREATE SCHEMA public;$\|^COMMENT ON SCHEMA public' | citus_psql 0 >/dev/null
  citus_psql 0 -c "ALTER DATABASE b_citus SET citus.propagate_set_commands = 'local'" -c 'VACUUM ANALYZE' >/dev/null
  # the same rows as b_crm, table by table
  for t in $(citus_tables); do
    n="$(psql -X -At -d b_crm -c "SELECT count(*) FROM $t")"
    out="$(citus_val 0 -c "SELECT count(*) FROM $t")"
    [ "$n" = "$out" ] || { echo "citus: $t holds $out rows, b_crm $n" >&2; exit 1; }
    rows=$((rows + n))
  done
  [ "$AS" = owner ] || citus_role
  citus_placement
  for t in $WRITES; do
    [ -z "$(citus_limit "$t")" ] || printf 'note\t%s\t%s\tcitus\tnot run on Citus: %s\n' "$1" "$t" "$(citus_limit "$t")" >> "$NOTES"
  done
  log "scale $1: b_citus loaded through the coordinator ($rows rows, the same as b_crm table by table) in $((SECONDS - t0)) s"
  citus_pms
}

# citus_role: the login the workloads run as under --as service, on every node (Citus
# propagates the role from b_citus), reading the bench's own tables on the coordinator.
citus_role() {
  citus_psql 0 -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS bench_$AS" \
    -c "CREATE ROLE bench_$AS LOGIN" -c "GRANT crm_admin TO bench_$AS" -c "GRANT crm_service TO bench_$AS" \
    -c "GRANT USAGE ON SCHEMA public TO bench_$AS" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO bench_$AS" \
    -c "GRANT SELECT, USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA public TO bench_$AS" >/dev/null
}

# citus_placement: which worker holds each of the accounts 1..naccounts (a note).
citus_placement() {
  local line
  line="$(citus_val 0 -c "SELECT string_agg(format('worker %s (:%s): %s accounts%s', w, nodeport, k,
                                  CASE WHEN has1 THEN ', account 1' ELSE '' END), '; ' ORDER BY w)
    FROM (SELECT nodeport, dense_rank() OVER (ORDER BY nodeport) AS w, count(*) AS k, bool_or(a = 1) AS has1
          FROM generate_series(1, ${VAR_naccounts:-50}) a
          JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('crm.accounts', a)
          JOIN pg_dist_node n USING (groupid) GROUP BY nodeport) x")"
  printf 'note\t%s\tcitus\tcitus\taccounts 1-%s by worker: %s (%s shards per table)\n' "$scale" "${VAR_naccounts:-50}" "$line" \
    "$(citus_val 0 -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'crm.leads'::regclass")" >> "$NOTES"
  log "citus: $line"
}

# tenant_scripts FILE: the pgbench -f arguments (two a line: -f PATH@1) of FILE as a tenant
# session sends it; a file whose first line says "-- as is" is run unchanged.
tenant_scripts() {
  local src="$1" name a n=1 out
  if head -1 "$src" | grep -q '^-- as is'; then printf -- '-f\n%s@1\n' "$src"; return; fi
  name="$(basename "$src" .sql)"
  grep -q '^\\set acct random(1, :naccounts)' "$src" && n="$VAR_naccounts"
  for a in $(seq 1 "$n"); do
    out="$W/tenant.$name.$a.sql"
    [ -f "$out" ] || awk -v a="$a" -v emp="SET LOCAL crm.employee_id = 2;" '
      /^\\set acct random\(1, :naccounts\)/ { print "\\set acct " a; next }
      /^[[:space:]]*(BEGIN|COMMIT);[[:space:]]*$/ { next }
      /^[[:space:]]*SELECT set_config\(.crm\.(account|employee)_id.*\);[[:space:]]*$/ { next }
      !begun && $0 !~ /^[[:space:]]*(\\|--|$)/ {
        print "BEGIN;"; print "SET LOCAL crm.account_id = " a ";"; print emp; begun = 1 }
      { print }
      END { print ""; print "COMMIT;" }' "$src" > "$out"
    printf -- '-f\n%s@1\n' "$out"
  done
}

# ---- the CPU time of each node per transaction ----
citus_pm() {   # the postmaster's pid of node main|0|1|2
  if [ "$1" = main ]; then head -1 "$(psql -X -At -h "$MAIN_HOST" -c "SHOW data_directory")/postmaster.pid"
  else head -1 "$CITUS_DIR/n$1/data/postmaster.pid"; fi
}
citus_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'; }
# the sessions of a node (children of its postmaster in a b_ database) started since the
# mark: the point's own (psql, pgbench, and on the workers the coordinator's connections
# for them), and now and then a connection that Citus's maintenance daemon opens and keeps
citus_new_sessions() {
  ps --ppid "$1" -o etimes=,args= | awk -v age="$(( $(date +%s) - CITUS_MARK ))" '$1 <= age && / b_[a-z]+ /' | wc -l
}
declare -A CITUS_PMS=() CITUS_T0=()
CITUS_MARK=0
citus_pms() { local node; for node in main 0 1 2; do CITUS_PMS[$node]="$(citus_pm "$node")"; done; }
# citus_mark: the start of a point (called before its prepare script and warmup)
citus_mark() { CITUS_MARK="$(date +%s)"; }
# citus_settle: waits until no session started since the mark is left, or their number has
# not changed for half a second (the maintenance daemon's), at most 5 s
citus_settle() {
  local node i n prev=-1 same=0
  for i in $(seq 50); do
    n=0
    for node in main 0 1 2; do n=$((n + $(citus_new_sessions "${CITUS_PMS[$node]}"))); done
    [ "$n" != 0 ] || break
    if [ "$n" = "$prev" ]; then same=$((same + 1)); [ "$same" -lt 5 ] || break; else same=0; prev=$n; fi
    sleep 0.1
  done
}
citus_cpu_begin() {
  local node
  [ "${BENCH_CITUS_STATEMENTS:-0}" = 0 ] || [ "$1" != citus ] ||
    for node in 1 2; do citus_psql "$node" -c 'SELECT pg_stat_statements_reset()' >/dev/null; done
  citus_settle
  for node in main 0 1 2; do CITUS_T0[$node]="$(citus_ticks "${CITUS_PMS[$node]}")"; done
}
# citus_cpu_end SCALE WORKLOAD VARIANT CLIENTS ROUND TPS N P50 P95 MEAN: one row of $CITUS_TSV,
# with the CPU µs per transaction of the single server and of nodes 0, 1, 2, and the load
citus_cpu_end() {
  local node us=() load
  citus_settle
  for node in main 0 1 2; do
    us+=("$(awk -v t0="${CITUS_T0[$node]}" -v t1="$(citus_ticks "${CITUS_PMS[$node]}")" -v hz="$CLK_TCK" -v n="$7" \
             'BEGIN { printf "%.1f", (n > 0 ? (t1 - t0) * 1e6 / hz / n : 0) }')")
  done
  load="$(sed 's/ .*//' /proc/loadavg)"
  printf '%s\t' "$@" "${us[@]}" >> "$CITUS_TSV"; printf '%s\n' "$load" >> "$CITUS_TSV"
  [ "${BENCH_CITUS_STATEMENTS:-0}" = 0 ] || [ "$3" != citus ] || citus_statements "$1" "$2" "$4" "$7"
}

# citus_statements SCALE WORKLOAD CLIENTS N: the workers' five costliest statements of the
# point, ms per transaction (planning + execution; a statement's time holds the statements
# it ran), as notes
citus_statements() {
  local node
  for node in 1 2; do
    citus_val "$node" -F $'\t' -c "SELECT round(((total_plan_time + total_exec_time) / $4)::numeric, 3), round(calls::numeric / $4, 2),
                                           left(regexp_replace(query, '\s+', ' ', 'g'), 160)
                                    FROM pg_stat_statements WHERE query !~* 'pg_stat_statements'
                                    ORDER BY total_plan_time + total_exec_time DESC LIMIT 5"
  done | sort -t $'\t' -k1,1 -rn | head -5 | while IFS=$'\t' read -r ms calls q; do
    printf 'note\t%s\t%s\tcitus\tc=%s workers: %s ms, %s calls per transaction: %s\n' "$1" "$2" "$3" "$ms" "$calls" "${q//|/\\|}" >> "$NOTES"
  done
}

# citus_routing SCALE ROUND: the routing points, every client count, crm and citus interleaved
citus_routing() {
  local wl c v
  for wl in citus_route citus_route_tx; do
    for c in $CLIENTS; do
      for v in $(round_order "$2"); do point "$1" "$wl" "$v" "$c" "" -T "$SECS"; done
    done
  done
}
