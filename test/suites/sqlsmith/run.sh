#!/usr/bin/env bash
# sqlsmith: random SQL from SQLsmith against a database with crm installed and filled,
# as a login role of one account (a crm_admin), for a bounded number of queries and
# time; the server must never crash.  Full mode: CRM_SQLSMITH_QUERIES=100000
# CRM_SQLSMITH_SECONDS=1800.
REL_SUITE=sqlsmith
. "$(dirname "$0")/../lib/common.sh"
W="$CRM_TMP/sqlsmith"; mkdir -p "$W"
DB=rel_smith
command -v sqlsmith >/dev/null || rel_fail "sqlsmith is not installed (Debian package sqlsmith)"
queries="${CRM_SQLSMITH_QUERIES:-3000}" seconds="${CRM_SQLSMITH_SECONDS:-45}" seed="${CRM_SQLSMITH_SEED:-4242}"

rel_new_db $DB
rel_fill $DB 5
acc="$(rel_val -d $DB -c "SELECT id FROM crm.accounts WHERE name = 'Reliability A'")"
rel_psql -d $DB <<SQL
SET client_min_messages = warning;
DROP ROLE IF EXISTS rel_smith;
CREATE ROLE rel_smith LOGIN IN ROLE crm_admin;
SELECT crm.bind_login('rel_smith', $acc);
ALTER ROLE rel_smith IN DATABASE $DB SET statement_timeout = '2s';
SQL
log="$CRM_TMP/server.log"
before=$(wc -l < "$log")
rc=0
timeout -s INT "$seconds" sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$DB user=rel_smith" \
  --max-queries="$queries" --seed="$seed" --verbose --exclude-catalog > "$W/sqlsmith.out" 2> "$W/sqlsmith.err" || rc=$?
tr '\r' '\n' < "$W/sqlsmith.err" | grep -E '^[0-9]+\s+ERROR|error rate' | sort -rn | head -6 | cut -c1-150 | sed 's/^/    /' >&2 || true
pg_isready -q || rel_fail "the server is down after sqlsmith"
tail -n +"$((before + 1))" "$log" > "$W/server.log"
if rel_crashed "$W/server.log"; then rel_fail "the server crashed under sqlsmith (seed $seed)"; fi
rel_log "sqlsmith (seed $seed, up to $queries queries / ${seconds}s, exit $rc): no crash"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_smith"
