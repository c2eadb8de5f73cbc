#!/usr/bin/env bash
# Cost of routing one failed payment, and plans of the chat views, at scale:
# EMPLOYEES employees, CLIENTS clients (one conversation and one invoice with a
# flagged offer each), MESSAGES outgoing messages spread over them (every
# message goes through the messages trigger, as in production), plus one "hot"
# client to whom every employee has written.  pgbench then records failed
# payments: on random clients (a typical routing, ~MESSAGES/CLIENTS contacts),
# on an invoice without flagged offers, and on the hot client (EMPLOYEES alerts).
#
#   test/bench/alerts_routing.sh [employees] [messages] [clients] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
EMPLOYEES="${1:-10000}"; MESSAGES="${2:-1000000}"; CLIENTS="${3:-100000}"; SECS="${4:-10}"
crm_install_packages
crm_build_install
crm_cluster_start "shared_buffers = 256MB" "synchronous_commit = off"
W="$(mktemp -d)"; trap 'rm -rf "$W"; crm_cluster_stop' EXIT

start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v emp="$EMPLOYEES" -v msg="$MESSAGES" -v cli="$CLIENTS" <<'SQL'
CREATE DATABASE bench;
\c bench
CREATE EXTENSION crm;
INSERT INTO crm.accounts (id, name) VALUES (1, 'bench');
SET crm.account_id = 1;
INSERT INTO crm.employees (id, name) SELECT i, 'E' || i FROM generate_series(1, :emp) i;
INSERT INTO crm.clients (id, name, responsible_id) SELECT i, 'Client ' || i, 1 FROM generate_series(1, :cli + 1) i;
INSERT INTO crm.client_phones (client_id, raw, phone)
  SELECT i, '+7916' || lpad(i::text, 7, '0'), '+7916' || lpad(i::text, 7, '0') FROM generate_series(1, :cli + 1) i;
INSERT INTO crm.conversations (id, client_id) SELECT i, i FROM generate_series(1, :cli + 1) i;
INSERT INTO crm.offers (id, name, notify_on_failed_payment) VALUES (1, 'Flagged', true), (2, 'Plain', false);
INSERT INTO crm.invoices (id, client_id, amount) SELECT i, i, 100 FROM generate_series(1, :cli + 1) i;
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) SELECT i, 1, 100 FROM generate_series(1, :cli + 1) i;
-- one more invoice for client 1 holding only the unflagged offer
INSERT INTO crm.invoices (id, client_id, amount) VALUES (:cli + 2, 1, 100);
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:cli + 2, 2, 100);
SELECT setval(pg_get_serial_sequence('crm.invoices', 'id'), :cli + 10);
-- the hot client: every employee wrote to it
INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at)
  SELECT :cli + 1, 'out', e, '2026-01-01'::timestamptz + e * interval '1 second' FROM generate_series(1, :emp) e;
-- the rest: spread over clients and employees, in batches
SELECT format('INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at)
  SELECT 1 + (i %% %s), ''out'', 1 + ((i::bigint * 7919 + (i / %s) * 997) %% %s), ''2026-01-01''::timestamptz + i * interval ''1 second''
  FROM generate_series(%s, %s) i', :cli, :cli, :emp, b, least(b + 99999, :msg - :emp))
  FROM generate_series(1, :msg - :emp, 100000) b \gexec
VACUUM ANALYZE;
SELECT count(*) AS messages FROM crm.messages;
SELECT count(*) AS contacts FROM crm.client_contacts;
SQL
echo "load: $(( $(date +%s) - start ))s for $MESSAGES messages, $EMPLOYEES employees, $CLIENTS clients"

cat > "$W/typical.sql" <<EOF2
\set c random(1, $CLIENTS)
INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at) VALUES (1, :c, 100, false, now());
EOF2
cat > "$W/unflagged.sql" <<EOF2
INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at) VALUES (1, $((CLIENTS + 2)), 100, false, now());
EOF2
cat > "$W/hot.sql" <<EOF2
INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at) VALUES (1, $((CLIENTS + 1)), 100, false, now());
EOF2
cat > "$W/success.sql" <<EOF2
\set c random(1, $CLIENTS)
INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at) VALUES (1, :c, 100, true, now());
EOF2
for v in success unflagged typical; do
  echo "== $v"; "$PGBIN/pgbench" -n -d bench -T "$SECS" -f "$W/$v.sql" 2>/dev/null | grep -E "latency average|^tps"
done
echo "== hot (one failure alerts $EMPLOYEES employees)"
"$PGBIN/pgbench" -n -d bench -t 5 -f "$W/hot.sql" | grep -E "latency average|^tps"
psql -X -q -d bench -c "SELECT count(*) AS alerts FROM crm.alerts"

psql -X -d bench <<'SQL'
SET crm.account_id = 1; SET crm.employee_id = 42;
ANALYZE crm.alerts;
\echo == routing: contacts of one client before the failure
EXPLAIN (COSTS OFF) SELECT cc.employee_id FROM crm.client_contacts cc
  JOIN crm.employees e ON e.account_id = cc.account_id AND e.id = cc.employee_id
  WHERE cc.account_id = 1 AND cc.client_id = 5 AND cc.first_out_at < now() AND e.active;
\echo == crm.important
EXPLAIN (COSTS OFF) SELECT * FROM crm.important ORDER BY happened_at DESC LIMIT 50;
\echo == crm.chat_list, newest first
EXPLAIN (COSTS OFF) SELECT * FROM crm.chat_list ORDER BY last_message_at DESC LIMIT 50;
\echo == crm.chat_list by name prefix
EXPLAIN (COSTS OFF) SELECT * FROM crm.chat_list WHERE lower(client) LIKE lower('Client 1234') || '%';
\echo == crm.chat_list by phone suffix
EXPLAIN (COSTS OFF) SELECT * FROM crm.chat_list WHERE client_id IN
  (SELECT client_id FROM crm.client_phones WHERE account_id = crm.current_account() AND reverse(phone) LIKE reverse('01234') || '%');
\echo == crm.chat_list, one funnel
EXPLAIN (COSTS OFF) SELECT * FROM crm.chat_list WHERE funnel = 'employees' ORDER BY last_message_at DESC LIMIT 50;
\echo == timing of the same queries
\timing on
SELECT count(*) FROM (SELECT * FROM crm.important ORDER BY happened_at DESC LIMIT 50) s;
SELECT count(*) FROM (SELECT * FROM crm.chat_list ORDER BY last_message_at DESC LIMIT 50) s;
SELECT count(*) FROM crm.chat_list WHERE lower(client) LIKE lower('Client 1234') || '%';
SELECT count(*) FROM crm.chat_list WHERE client_id IN (SELECT client_id FROM crm.client_phones WHERE account_id = crm.current_account() AND reverse(phone) LIKE reverse('01234') || '%');
SQL
