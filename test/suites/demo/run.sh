#!/usr/bin/env bash
# demo: runs the README's first command, scripts/demo.sh, as it is (only without
# installing packages: --no-install; with --keep, so that its cluster stays up), and
# checks the figures of its day from the database it leaves (checks.sql beside this
# file): revenue, the Important inbox, the 11:05 and next-day 11:45 retries, the
# template email with the manager's copy, the auto-cancelled invoice, the overdue lead.
# Then the first rows typed in after the demo get free ids (an admin's
# INSERT INTO crm.campaigns (name) VALUES ('TV'), a manager's lead and client), and no
# identity sequence is behind its table.  Any step of the day that fails fails the
# demo (ON_ERROR_STOP), and so this suite.
REL_SUITE=demo
. "$(dirname "$0")/../lib/common.sh"

out="$CRM_TMP/demo.out"
demo_dir=""
cleanup() {
  if [ -n "$demo_dir" ] && [ -d "$demo_dir" ]; then
    [ ! -f "$demo_dir/graphql.pid" ] || kill "$(cat "$demo_dir/graphql.pid")" 2>/dev/null || true
    rel_as_pg "$PGBIN/pg_ctl" -D "$demo_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$demo_dir"
  fi
}
trap cleanup EXIT

# PostGraphile first, so that --keep serves the day through it too (checked below).
. "$REL_ROOT/test/suites/lib/postgraphile.sh"
rel_postgraphile_install

started=$SECONDS
if ! bash "$REL_ROOT/scripts/demo.sh" --keep --no-install > "$out" 2>&1; then
  tail -n 40 "$out" >&2
  rel_fail "scripts/demo.sh failed (its output: $out)"
fi
took=$((SECONDS - started))
demo_dir="$(sed -n 's|^  \. \(/[^ ]*\)/demo\.env .*|\1|p' "$out")"
[ -n "$demo_dir" ] && [ -f "$demo_dir/demo.env" ] || rel_fail "scripts/demo.sh --keep printed no demo.env"
grep -q ' 7\. Reporting' "$out" || rel_fail "the demo's output lacks its last step"

# The demo's own cluster, not the suite's.
# shellcheck disable=SC1091
. "$demo_dir/demo.env"
export PGUSER=postgres

figures="$(rel_val -f "$REL_SUITE_DIR/checks.sql")"
printf '%s\n' "$figures" | sed 's/^/    /' >&2
if printf '%s\n' "$figures" | grep -q '^FAIL'; then rel_fail "figures of the demo's day do not hold"; fi
[ "$(printf '%s\n' "$figures" | grep -c '^ok')" = 14 ] || rel_fail "expected 14 figures, found: $figures"

behind="$(rel_val <<'SQL'
SELECT format('SELECT %L WHERE (SELECT max(%I) FROM %s) > coalesce(pg_sequence_last_value(%L), 0)',
              a.attrelid::regclass || '.' || a.attname, a.attname, a.attrelid::regclass,
              pg_get_serial_sequence(a.attrelid::regclass::text, a.attname))
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped
ORDER BY 1
\gexec
SQL
)"
[ -z "$behind" ] || rel_fail "identity sequences behind the ids of their table: $(echo $behind)"

typed="$(rel_val -U olga <<'SQL'
INSERT INTO crm.campaigns (name) VALUES ('TV') RETURNING 'campaign ' || id;
INSERT INTO crm.offers (name, price) VALUES ('Battery replacement', 3000) RETURNING 'offer ' || id;
SQL
)" || rel_fail "the admin's first rows after the demo failed"
typed2="$(rel_val -U anna <<'SQL'
INSERT INTO crm.clients (name) VALUES ('Walk-in') RETURNING 'client ' || id;
INSERT INTO crm.leads (contact_name) VALUES ('Walk-in') RETURNING 'lead ' || number;
SQL
)" || rel_fail "a manager's first rows after the demo failed"

# --keep serves the day through PostGraphile: Anna's lead board comes back through
# GraphQL as through SQL.
graphql="$(sed -n 's|^  GraphQL:  \(http://[^ ]*\) .*|\1|p' "$out")"
[ -n "$graphql" ] || rel_fail "scripts/demo.sh --keep printed no GraphQL endpoint"
want="$(rel_val -U anna -c "SELECT count(*) FROM crm.lead_board")"
got="$(node -e '
  fetch(process.argv[1], { method: "POST",
    headers: { "Content-Type": "application/json", "X-Crm-Account": "1", "X-Crm-Employee": "2" },
    body: JSON.stringify({ query: "{ allLeadBoards { totalCount } }" }) })
  .then((r) => r.json()).then((j) => console.log(j.data.allLeadBoards.totalCount))
  .catch((e) => { console.error(e); process.exit(1); })' "$graphql")" || rel_fail "GraphQL query failed"
[ "$got" = "$want" ] || rel_fail "the demo's GraphQL ($graphql) shows $got rows of Anna's lead board, SQL $want"
rel_log "the demo's GraphQL endpoint shows Anna's lead board: $got rows, as SQL does"

rel_log "scripts/demo.sh --keep --no-install took ${took} s (build and install included); $(grep -c '^ok' <<<"$figures") figures hold; typed in afterwards: $(echo $typed $typed2)"
