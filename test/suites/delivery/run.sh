#!/usr/bin/env bash
# delivery: the README's outbox delivery worker (Python, psycopg), two of them at once
# as a login in crm_delivery, against emails queued by calls with templates and by the
# overdue notices of run_due: every row is sent exactly once, one that fails once is
# retried and sent, one that always fails ends dead and stays visible, a row queued while
# the workers idle wakes them (NOTIFY crm_outbox), and the delivery login reads nothing.
REL_SUITE=delivery
. "$(dirname "$0")/../lib/common.sh"
( . "$REL_ROOT/scripts/lib.sh"; CRM_PACKAGES=(); crm_install_packages python3-psycopg ) ||
  rel_fail "python3-psycopg is needed"
PY=/usr/bin/python3
W="$CRM_TMP/delivery"; mkdir -p "$W"; chmod 777 "$W"
DB=rel_delivery
rel_new_db $DB
rel_psql -d $DB <<'SQL' >/dev/null
SET client_min_messages = warning;
DROP ROLE IF EXISTS rel_mailer;
CREATE ROLE rel_mailer LOGIN IN ROLE crm_delivery;
SELECT crm_test.fill(crm_test.company('Delivery A'), 12);
SELECT crm_test.fill(crm_test.company('Delivery B', 'DE'), 12);
ALTER DATABASE rel_delivery SET crm.outbox_max_attempts = 2;
-- The first two emails go to the provider's test addresses.
UPDATE crm.outbox SET recipient = 'retry@example.com'
 WHERE id = (SELECT min(id) FROM crm.outbox WHERE kind = 'email');
UPDATE crm.outbox SET recipient = 'bounce@example.com'
 WHERE id = (SELECT min(id) FROM crm.outbox WHERE kind = 'email' AND recipient <> 'retry@example.com');
SQL
total="$(rel_val -d $DB -c "SELECT count(*) FROM crm.outbox WHERE kind IN ('email', 'notification')")"
[ "$total" -ge 20 ] || rel_fail "the fill queued only $total emails"
DSN="host=$PGHOST port=$PGPORT dbname=$DB user=rel_mailer"
LOG="$W/sends.log"; : > "$LOG"
pids=()
for n in w1 w2; do
  "$PY" "$REL_SUITE_DIR/driver.py" "$REL_ROOT/README.md" "$DSN" "$LOG" "$n" > "$W/$n.out" 2>&1 & pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
settled() {  # every row sent or dead
  [ "$(rel_val -d $DB -c "SELECT count(*) FROM crm.outbox WHERE kind IN ('email', 'notification') AND sent_at IS NULL AND dead_at IS NULL")" = 0 ]
}
wait_settled() {
  local deadline=$(( $(date +%s) + 30 ))
  until settled; do
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { cat "$W"/w*.out >&2; rel_fail "a worker died"; }; done
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$W"/w*.out >&2; rel_fail "the outbox was not delivered within 30 s"; }
    sleep 0.2
  done
}
wait_settled
# A row queued while both workers idle on LISTEN crm_outbox wakes them.
sleep 1
rel_psql -d $DB -c "INSERT INTO crm.outbox (account_id, kind, recipient, subject, body)
                    SELECT id, 'email', 'late@example.com', 'Late', 'queued while idle' FROM crm.accounts WHERE name = 'Delivery A'"
T0="$(date +%s%N)"
wait_settled
woke_ms=$(( ($(date +%s%N) - T0) / 1000000 ))
kill "${pids[@]}" 2>/dev/null || true

out="$(rel_val -d $DB -F ' ' <<SQL
SELECT 'sent', count(*) FILTER (WHERE sent_at IS NOT NULL), 'dead', count(*) FILTER (WHERE dead_at IS NOT NULL),
       'rows', count(*) FROM crm.outbox WHERE kind IN ('email', 'notification');
SELECT 'bounce', attempts, dead_at IS NOT NULL, last_error FROM crm.outbox WHERE recipient = 'bounce@example.com';
SELECT 'retry', attempts, sent_at IS NOT NULL, last_error FROM crm.outbox WHERE recipient = 'retry@example.com';
SQL
)"
echo "$out" | sed 's/^/  /' >&2
sends="$(wc -l < "$LOG")"
# Each row is handed to the provider once, except the retried one (twice) and the bounced one (twice).
dups="$(awk '$3 != "retry@example.com" && $3 != "bounce@example.com" {print $2}' "$LOG" | sort | uniq -d | wc -l)"
[ "$dups" = 0 ] || rel_fail "$dups rows were sent more than once"
[ "$(awk '$3 == "retry@example.com"' "$LOG" | wc -l)" = 2 ] || rel_fail "the failing row was not tried exactly twice"
[ "$(awk '$3 == "bounce@example.com"' "$LOG" | wc -l)" = 2 ] || rel_fail "the bounced row was not tried exactly twice (crm.outbox_max_attempts = 2)"
echo "$out" | grep -q "^sent $((total)) dead 1 rows $((total + 1))$" || rel_fail "every row but the bounce sent, one dead"
echo "$out" | grep -q "^bounce 2 t 550 no such user$" || rel_fail "the bounced row is dead with its error"
echo "$out" | grep -q "^retry 2 t 451 try again later$" || rel_fail "the retried row is sent, its error kept"
[ "$(awk '{print $1}' "$LOG" | sort -u | wc -l)" = 2 ] || rel_fail "both workers delivered"
[ "$(rel_val -d $DB -c "SELECT count(DISTINCT provider_ref) FROM crm.outbox WHERE sent_at IS NOT NULL AND kind IN ('email', 'notification')")" = "$total" ] ||
  rel_fail "every sent row has its provider reference"
psql -X -q -d "$DSN" -c "SELECT 1 FROM crm.outbox LIMIT 1" > /dev/null 2>&1 && rel_fail "the delivery login reads crm.outbox"
rel_log "$total rows delivered by two workers ($sends sends: each once, a retried row twice, a bounced row twice and dead); an idle worker woke for a new row in $woke_ms ms"
rel_psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE rel_mailer"
