#!/usr/bin/env bash
# test/suites/citus/rules.sh: crm's rules where the data lives, through the Citus
# coordinator, each step one transaction as a tenant session runs it (SET LOCAL,
# propagated to the workers), for an account on each worker:
#   1. the customer policy decided on the worker: an employee without
#      can_see_customers reads no client, one with it reads them all (the policy reads
#      the employee beside the row; no RESTRICTIVE policy, which Citus would make
#      permissive on the shards); a login bound to the account (crm.login_bindings,
#      a reference table) reads its account only;
#   2. a function's comment reaches its trigger on the worker: transition_lead's
#      comment and delete_invoice's reason are in the history;
#   3. no owner switch after a write: normalize_phone, client_candidates and
#      order_candidates after the caller wrote the account's rows; link_order;
#      the functions delegated to the account's worker (kit/delegate.h) in one
#      transaction with the caller's writes and reads: a write, link_order, then a
#      read and a write; a write, claim_next_call, then a read of the claim; a write,
#      reissue_invoice by a manager (its write passes what only crm's own may), then
#      a read of both invoices; (last, after 6) a write, receive_message, then a read;
#   4. rows returned by name: record_payment, link_lead_client, calls with a template;
#   5. what Citus refuses is refused with a SQLSTATE: a crm function per row of a
#      query on crm's tables (0A000, crm's own message); the owner's reissue works too;
#   6. the views (chat_list, invoice_card, client_calls, lead_board) read as a crm role,
#      the account named or not: the rows the owner reads, their counts, a page of the board;
#   7. (once) a delegated call after Citus's planning error caught in a subtransaction
#      (Citus delegates no call in that session any more): import_run is refused with
#      crm's 0A000 saying connect again; a new session delegates it.
#
# Sourced by run.sh once its cluster holds crm distributed and the fixtures
# (citus_rules_run ACCOUNT...), or run alone: it then starts a cluster of its own.
CITUS_RULES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rules_q() { citus_val 0 "$@"; }
rules_ok() { echo "ok - $1"; }
rules_expect() {  # rules_expect LABEL WANT GOT
  [ "$2" = "$3" ] || rel_fail "$1: wanted [$2], got [$3]"
  rules_ok "$1"
}
# rules_as ACCOUNT ROLE EMPLOYEE SQL: one transaction through the coordinator as ROLE of
# ACCOUNT acting as EMPLOYEE (a name, or '' for none); prints the results.
rules_as() {
  local e=""
  [ -z "$3" ] || e="$(rules_q -c "SELECT id FROM crm.employees WHERE account_id = $1 AND name = '$3'")"
  rules_q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL crm.account_id = $1;
SET LOCAL crm.employee_id = '$e';
SET LOCAL ROLE $2;
$4
COMMIT;
SQL
}
# rules_refused LABEL SQLSTATE ACCOUNT ROLE EMPLOYEE SQL
rules_refused() {
  local out
  if out="$(rules_as "$3" "$4" "$5" "\\set VERBOSITY verbose
$6" 2>&1)"; then rel_fail "$1: not refused (got: $out)"; fi
  grep -q "ERROR:  $2:" <<<"$out" || rel_fail "$1: wanted SQLSTATE $2, got: $(grep ERROR <<<"$out" | head -2)"
  rules_ok "$1 (refused, $2)"
}

# citus_rules_account A: the checks for account A (made by crm_test.company, set up by
# citus_rules_setup).
citus_rules_account() {
  local a="$1" clients lead ord inv s_work t_sales tpl
  clients="$(rules_q -c "SELECT count(*) FROM crm.clients WHERE account_id = $a")"
  s_work="$(rules_q -c "SELECT crm_test.id('statuses', $a, 'In work')")"
  t_sales="$(rules_q -c "SELECT crm_test.id('lead_types', $a, 'Sales')")"

  # 1. policies
  rules_expect "account $a: Anna (can_see_customers) reads the account's $clients clients" "$clients" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT count(*) FROM crm.clients;")"
  rules_expect "account $a: Hidden (no can_see_customers) reads no client, no phone, no lead" "0|0|0" \
    "$(rules_as "$a" crm_test_manager Hidden "SELECT (SELECT count(*) FROM crm.clients) || '|' || (SELECT count(*) FROM crm.client_phones) || '|' || (SELECT count(*) FROM crm.leads);")"
  rules_expect "account $a: the login bound to it reads its clients, and only them" "$clients|$clients" \
    "$(rules_q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SET LOCAL ROLE crm_test_login_$a;
SELECT (SELECT count(*) FROM crm.clients) || '|' || (SELECT count(*) FROM crm.clients WHERE account_id = $a);
COMMIT;
SQL
)"

  # 2. context from a function to its trigger
  lead="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.leads (type_id, contact_name) VALUES ($t_sales, 'Carried') RETURNING id;" | head -1)"
  rules_as "$a" crm_test_manager Anna "SELECT (crm.transition_lead($lead, $s_work, 'qualified by phone')).id;" >/dev/null
  rules_expect "account $a: transition_lead's comment is in the lead's history" "qualified by phone" \
    "$(rules_q -c "SELECT detail->>'comment' FROM crm.lead_events WHERE account_id = $a AND lead_id = $lead AND to_status_id = $s_work")"
  lead="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.leads (type_id, contact_name) VALUES ($t_sales, 'Alone') RETURNING id;" | head -1)"
  rules_q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET ROLE crm_test_login_$a;
SELECT (crm.transition_lead($lead, $s_work, 'a statement alone')).id;
SQL
  rules_expect "account $a: the comment of a call in a statement of its own (no BEGIN), by a bound login" "a statement alone" \
    "$(rules_q -c "SELECT detail->>'comment' FROM crm.lead_events WHERE account_id = $a AND lead_id = $lead AND to_status_id = $s_work")"
  inv="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.invoices (client_id, amount) SELECT min(id), 100 FROM crm.clients WHERE account_id = $a RETURNING id;" | head -1)"
  rules_as "$a" crm_test_manager Anna "SELECT (crm.delete_invoice($inv, 'duplicate')).status;" >/dev/null
  rules_expect "account $a: delete_invoice's reason is in the invoice's history" "deleted|duplicate" \
    "$(rules_q -c "SELECT to_status || '|' || (detail->>'comment') FROM crm.invoice_events WHERE account_id = $a AND invoice_id = $inv AND to_status = 'deleted'")"

  # 3. no owner switch after a write
  rules_expect "account $a: normalize_phone after a write" "+79161234567" \
    "$(rules_as "$a" crm_test_manager Anna "UPDATE crm.leads SET comment = 'x' WHERE id = $lead;
SELECT crm.normalize_phone('+7 916 123 45 67');" | tail -1)"
  rules_expect "account $a: client_candidates after a write" "1" \
    "$(rules_as "$a" crm_test_manager Anna "UPDATE crm.leads SET comment = 'x' WHERE id = $lead;
SELECT count(*) FROM crm.client_candidates('8 (916) 123-00-01');" | tail -1)"
  ord="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.orders (phone, amount) VALUES ('+7 916 555-00-01', 10) RETURNING id;" | head -1)"
  lead="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.leads (type_id, contact_name, contact_phone) VALUES ($t_sales, 'For the order', '+7 916 555-00-02') RETURNING id;" | head -1)"
  rules_expect "account $a: order_candidates after a write" "0" \
    "$(rules_as "$a" crm_test_manager Anna "UPDATE crm.leads SET comment = 'x' WHERE id = $lead;
SELECT count(*) FROM crm.order_candidates($ord);" | tail -1)"
  rules_expect "account $a: link_order links both ways" "$ord|$lead" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT (crm.link_order($ord, $lead)).order_id;" | head -1)|$(
       rules_as "$a" crm_test_manager Anna "SELECT lead_id FROM crm.orders WHERE id = $ord;" | head -1)"
  # ... it writes as the owner, on the account's worker (delegated): the caller's writes
  # before it and its reads and writes after it in the same transaction
  ord="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.orders (phone, amount) VALUES ('+7 916 555-00-03', 10) RETURNING id;" | head -1)"
  rules_expect "account $a: a write, link_order, then a read and a write, in one transaction" "$ord|t|linked" \
    "$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.leads (type_id, contact_name) VALUES ($t_sales, 'For the order') RETURNING id AS l \\gset
SELECT (crm.link_order($ord, :l)).order_id;
SELECT lead_id = :l FROM crm.orders WHERE id = $ord;
UPDATE crm.leads SET comment = 'linked' WHERE id = :l AND order_id = $ord;
SELECT comment FROM crm.leads WHERE id = :l;" | paste -sd '|')"
  rules_expect "account $a: a write, claim_next_call, then a read of the claim, in one transaction" "t|t" \
    "$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.call_tasks (title, client_id) VALUES ('Call back', $(rules_q -c "SELECT min(id) FROM crm.clients WHERE account_id = $a AND category NOT IN ('not_client', 'spam')"));
SELECT kind AS c_kind, id AS c_id FROM crm.claim_next_call(now() + interval '1 minute') \\gset
SELECT :'c_kind' IN ('task', 'invoice');
SELECT CASE :'c_kind' WHEN 'task' THEN (SELECT claimed_by FROM crm.call_tasks WHERE id = :c_id)
                      ELSE (SELECT claimed_by FROM crm.invoices WHERE id = :c_id) END = crm.current_employee();" | paste -sd '|')"

  # 4. rows returned by name
  inv="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.invoices (client_id, amount) SELECT min(id), 100 FROM crm.clients WHERE account_id = $a RETURNING id;" | head -1)"
  rules_expect "account $a: record_payment returns the payment" "40.00|40.00" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT (crm.record_payment($inv, 40, true)).amount;
SELECT paid_amount FROM crm.invoices WHERE id = $inv;" | paste -sd '|')"
  tpl="$(rules_q -c "SELECT min(id) FROM crm.message_templates WHERE account_id = $a")"
  rules_as "$a" crm_test_manager Anna "INSERT INTO crm.calls (invoice_id, outcome, template_id) VALUES ($inv, 'no_answer', $tpl);" >/dev/null
  rules_expect "account $a: a call with a template (its text rendered on the worker)" "1" \
    "$(rules_q -c "SELECT count(*) FROM crm.calls WHERE account_id = $a AND invoice_id = $inv AND template_id = $tpl")"

  # 5. refused clearly
  rules_refused "account $a: a crm function called per row of a query Citus runs on a worker" 0A000 \
    "$a" crm_test_manager Anna "SELECT count(crm.transition_lead(id, $s_work)) FROM crm.leads WHERE account_id = $a;"
  # a manager's reissue (replaces_invoice_id is crm's to write: the reissue runs on the
  # account's worker, where its write scope holds) after a write, then a read; the owner's too
  rules_expect "account $a: a write, reissue_invoice by a manager, then a read, in one transaction" "$inv|to reissue|1" \
    "$(rules_as "$a" crm_test_manager Anna "UPDATE crm.invoices SET note = 'to reissue' WHERE id = $inv;
SELECT id AS r FROM crm.reissue_invoice($inv) \\gset
SELECT replaces_invoice_id FROM crm.invoices WHERE id = :r;
SELECT note FROM crm.invoices WHERE id = :r;
SELECT count(*) FROM crm.invoices WHERE replaces_invoice_id = $inv;" | paste -sd '|')"
  rules_expect "account $a: reissue_invoice by the owner" "$inv" \
    "$(rules_as "$a" postgres Admin "SELECT (crm.reissue_invoice($inv)).replaces_invoice_id;")"
}

# citus_rules_chat_list A: the chat list (crm.chat_list) of account A through the
# coordinator: a conversation, an incoming and a later outgoing message; read as the
# employee (the account named or not, a page, the searches), the login bound to the
# account, and an employee without can_see_customers (none of it).
citus_rules_chat_list() {
  local a="$1" conv chat cols
  conv="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.conversations (client_id) SELECT min(id) FROM crm.clients WHERE account_id = $a RETURNING id;" | head -1)"
  rules_as "$a" crm_test_manager Anna "INSERT INTO crm.messages (conversation_id, direction, body, sent_at) VALUES ($conv, 'in', 'hello', now() - interval '2 minutes');
INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at) VALUES ($conv, 'out', crm.current_employee(), 'hi, Anna here', now() - interval '1 minute');" >/dev/null
  # what the row says, from the tables (the account's region decides the phone's country)
  chat="$(rules_q -c "SELECT 'Client 1|{' || p.phone || '}|out|hi, Anna here|t|' || crm.phone_country(p.phone) || '|'
                            || coalesce(crm.country_timezone(crm.phone_country(p.phone)), a.timezone)
                     FROM crm.client_phones p JOIN crm.accounts a ON a.id = p.account_id
                     WHERE p.account_id = $a AND p.client_id = (SELECT min(id) FROM crm.clients WHERE account_id = $a)")"
  cols="client, phones, last_direction, last_message, last_employee_id = crm.current_employee(), client_country, client_timezone"
  rules_expect "account $a: chat_list with the account named (its last message, where the client is)" "$chat" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT $cols FROM crm.chat_list WHERE account_id = $a AND id = $conv;")"
  rules_expect "account $a: chat_list without the account named, and its first page" "$chat|1|Client 1" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT $cols FROM crm.chat_list WHERE id = $conv;
SELECT count(*) FROM crm.chat_list;
SELECT client FROM crm.chat_list ORDER BY last_message_at DESC NULLS LAST LIMIT 1;" | paste -sd '|')"
  rules_expect "account $a: chat_list found by the client's name and by a phone's end" "Client 1|Client 1" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT client FROM crm.chat_list WHERE lower(client) LIKE lower('CLIENT 1') || '%';
SELECT client FROM crm.chat_list WHERE client_id IN (SELECT client_id FROM crm.client_phones
  WHERE account_id = $a AND reverse(phone) LIKE reverse('0001') || '%');" | paste -sd '|')"
  rules_expect "account $a: chat_list for the login bound to the account" "Client 1|hi, Anna here" \
    "$(rules_q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SET LOCAL ROLE crm_test_login_$a;
SELECT client, last_message FROM crm.chat_list;
COMMIT;
SQL
)"
  rules_expect "account $a: chat_list for an employee without can_see_customers: nothing" "0" \
    "$(rules_as "$a" crm_test_manager Hidden "SELECT count(*) FROM crm.chat_list;")"
}

# citus_rules_views A: invoice_card, client_calls and lead_board of account A through the
# coordinator as a crm role (Anna with SET LOCAL, the bound login, Hidden without
# can_see_customers), the account named: the rows the owner reads (as on one server, no
# policy), a count(*), and a page of the board.  Written first as Anna: an invoice with
# an item and a manager, a call on it and on a task, a lead with a manager, client,
# campaign and location.
citus_rules_views() {
  local a="$1" c1 off inv task lead camp loc anna inv_cols calls_cols board_cols v want
  c1="$(rules_q -c "SELECT min(id) FROM crm.clients WHERE account_id = $a")"
  camp="$(rules_q -c "SELECT crm_test.id('campaigns', $a, 'Search')")"
  loc="$(rules_q -c "SELECT crm_test.id('locations', $a, 'Moscow')")"
  anna="$(rules_q -c "SELECT crm_test.id('employees', $a, 'Anna')")"
  off="$(rules_q -c "INSERT INTO crm.offers (account_id, name, price) VALUES ($a, 'Repair kit', 150) RETURNING id")"
  inv="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.invoices (client_id, amount, manager_id) VALUES ($c1, 300, $anna) RETURNING id;" | head -1)"
  rules_as "$a" crm_test_manager Anna "INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity, price) VALUES ($inv, $off, 2, 150);" >/dev/null
  task="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.call_tasks (client_id, title) VALUES ($c1, 'Ask about the repair') RETURNING id;" | head -1)"
  rules_as "$a" crm_test_manager Anna "INSERT INTO crm.calls (invoice_id, outcome, comment) VALUES ($inv, 'no_answer', 'on the invoice');
INSERT INTO crm.calls (task_id, outcome, comment) VALUES ($task, 'no_answer', 'on the task');" >/dev/null
  lead="$(rules_as "$a" crm_test_manager Anna "INSERT INTO crm.leads (contact_name, client_id, campaign_id, location_id, manager_id)
  VALUES ('On the board', $c1, $camp, $loc, $anna) RETURNING id;" | head -1)"

  inv_cols="id, number, status, client, address, city, manager, items, amount, prepaid, note, client_country, client_area, client_timezone, client_local_time IS NOT NULL"
  calls_cols="id, client_id, client, on_kind, invoice_id, invoice_number, task_id, task_title, outcome, employee, comment, email_skipped"
  board_cols="id, number, type, status, status_kind, manager, client, contact_name, campaign, deadline, overdue, location_id, location"
  for v in "invoice_card:$inv_cols" "client_calls:$calls_cols" "lead_board:$board_cols"; do
    want="$(rules_q -c "SELECT ${v#*:} FROM crm.${v%%:*} WHERE account_id = $a ORDER BY id" | paste -sd '|')"
    [ -n "$want" ] || rel_fail "account $a: crm.${v%%:*} has no rows to compare"
    rules_expect "account $a: crm.${v%%:*} as Anna, the account named: the owner's rows" "$want" \
      "$(rules_as "$a" crm_test_manager Anna "SELECT ${v#*:} FROM crm.${v%%:*} WHERE account_id = $a ORDER BY id;" | paste -sd '|')"
    rules_expect "account $a: crm.${v%%:*} as the login bound to the account: the owner's rows" "$want" \
      "$(rules_q -v ON_ERROR_STOP=1 <<SQL | paste -sd '|'
BEGIN;
SET LOCAL ROLE crm_test_login_$a;
SELECT ${v#*:} FROM crm.${v%%:*} WHERE account_id = $a ORDER BY id;
COMMIT;
SQL
)"
    rules_expect "account $a: crm.${v%%:*} as Anna, the account not named: the same rows" "$want" \
      "$(rules_as "$a" crm_test_manager Anna "SELECT ${v#*:} FROM crm.${v%%:*} ORDER BY id;" | paste -sd '|')"
    rules_expect "account $a: count(*) of crm.${v%%:*} as Anna" \
      "$(rules_q -c "SELECT count(*) FROM crm.${v%%:*} WHERE account_id = $a")" \
      "$(rules_as "$a" crm_test_manager Anna "SELECT count(*) FROM crm.${v%%:*} WHERE account_id = $a;")"
  done
  rules_expect "account $a: the invoice's card (its item, manager, client and place)" \
    "Client 1|Anna|Repair kit 2.000 300.00000|$(rules_q -c "SELECT crm.phone_country(phone) FROM crm.client_phones WHERE account_id = $a AND client_id = $c1")" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT client || '|' || manager || '|' || (items->0->>'offer') || ' ' || (items->0->>'quantity') || ' ' || (items->0->>'total') || '|' || client_country
  FROM crm.invoice_card WHERE account_id = $a AND id = $inv;")"
  rules_expect "account $a: the calls (the invoice's number, the task's title, the employee)" \
    "invoice|$(rules_q -c "SELECT number FROM crm.invoices WHERE account_id = $a AND id = $inv")||Anna,task||Ask about the repair|Anna" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT string_agg(on_kind || '|' || coalesce(invoice_number, '') || '|' || coalesce(task_title, '') || '|' || employee, ',' ORDER BY id)
  FROM crm.client_calls WHERE account_id = $a AND client_id = $c1 AND comment LIKE 'on the %';")"
  rules_expect "account $a: the lead on the board (manager, client, campaign, location), and a page of it" \
    "Anna|Client 1|Search|Moscow|$lead" \
    "$(rules_as "$a" crm_test_manager Anna "SELECT manager || '|' || client || '|' || campaign || '|' || location FROM crm.lead_board WHERE account_id = $a AND id = $lead;
SELECT id FROM crm.lead_board WHERE account_id = $a ORDER BY created_at DESC, id DESC LIMIT 1;" | paste -sd '|')"
  rules_expect "account $a: Hidden (no can_see_customers): the invoice without its client, no call, no lead" \
    "|||Anna|0|0" \
    "$(rules_as "$a" crm_test_manager Hidden "SELECT coalesce(client, '') || '|' || coalesce(address, '') || '|' || coalesce(client_country, '') || '|' || manager
  FROM crm.invoice_card WHERE account_id = $a AND id = $inv;
SELECT count(*) FROM crm.client_calls WHERE account_id = $a;
SELECT count(*) FROM crm.lead_board WHERE account_id = $a;" | paste -sd '|')"
}

# citus_rules_every_view A: every view of DESIGN.md (and partner_report) read as a tenant
# through the coordinator without naming the account, as Anna (SET LOCAL) and as the
# login bound to A: the same rows as the same read naming the account, in the same
# transaction (so that columns computed at the time of the query agree), and the same
# count(*).  Run after citus_rules_views, which wrote an invoice, calls, a lead; written
# here first: an alert for Anna (a payment that failed), an invoice of a partner, one due
# for a call.
CITUS_RULES_VIEWS="lead_board lead_badges funnel campaign_report call_queue important chat_list client_orders
  invoice_card invoice_history client_calls partner_report"
citus_rules_every_view() {
  local a="$1" v read sql got empty=""
  citus_rules_view_rows "$a"
  for v in $CITUS_RULES_VIEWS; do
    read="SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM crm.$v t"
    sql="$read WHERE account_id = $a;
$read;
SELECT count(*) FROM crm.$v;"
    got="$(rules_as "$a" crm_test_manager Anna "$sql" 2>&1 | paste -sd '|')" || rel_fail "account $a: crm.$v as Anna: $got"
    rules_expect "account $a: crm.$v as Anna without the account named: the rows and count(*) of the read naming it" \
      "${got%%|*}|${got%% *}" "${got#*|}"
    [ "${got%% *}" != 0 ] || empty="$empty $v"
    got="$(printf 'BEGIN;\nSET LOCAL ROLE crm_test_login_%s;\n%s\nCOMMIT;\n' "$a" "$sql" | rules_q -v ON_ERROR_STOP=1 2>&1 | paste -sd '|')" ||
      rel_fail "account $a: crm.$v as the bound login: $got"
    rules_expect "account $a: crm.$v as the login bound to it without the account named: the same" \
      "${got%%|*}|${got%% *}" "${got#*|}"
  done
  rules_expect "account $a: every view compared has rows for Anna" "" "$empty"
  read="SELECT string_agg(t::text, '|' ORDER BY t::text) FROM crm.partner_report t WHERE account_id = $a"
  rules_expect "account $a: crm.partner_report as the owner (every account's, on Citus one account at a time): Anna's rows" \
    "$(rules_as "$a" crm_test_manager Anna "$read;")" "$(rules_q -c "$read")"
}

# citus_rules_view_rows A: rows for the views citus_rules_views leaves empty: an alert
# for Anna (a failed payment of an invoice of an offer that notifies), an invoice of a
# partner, an invoice due for a call.
citus_rules_view_rows() {
  local a="$1" c1 anna course conv
  c1="$(rules_q -c "SELECT min(id) FROM crm.clients WHERE account_id = $a")"
  anna="$(rules_q -c "SELECT crm_test.id('employees', $a, 'Anna')")"
  course="$(rules_q -c "INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment) VALUES ($a, 'Course', 100, true) RETURNING id")"
  rules_q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO crm.leads (account_id, type_id, contact_name, manager_id, urgent)
  VALUES ($a, crm_test.id('lead_types', $a, 'Sales'), 'Urgent', $anna, true);
INSERT INTO crm.invoices (account_id, client_id, amount, partner) VALUES ($a, $c1, 100, 'blogger');
INSERT INTO crm.invoices (account_id, client_id, amount, next_call_at) VALUES ($a, $c1, 100, now() - interval '1 hour');
SQL
  conv="$(rules_q -c "SELECT min(id) FROM crm.conversations WHERE account_id = $a AND client_id = $c1")"
  rules_as "$a" crm_test_manager Anna "INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
  VALUES ($conv, 'out', $anna, 'about the course', now() - interval '1 hour');" >/dev/null
  rules_as "$a" crm_test_manager Anna "SELECT max(id) AS inv FROM crm.invoices WHERE account_id = $a AND partner = 'blogger' \\gset
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (:inv, $course, 100);
INSERT INTO crm.payments (invoice_id, amount, succeeded, failure_reason, at) VALUES (:inv, 100, false, 'card declined', now());" >/dev/null
}

# citus_rules_setup A: what the checks read in account A, written as the owner, a
# statement each: three clients with phones, a message template, a login bound to
# the account and Anna; the test roles able to log in on every node.
citus_rules_setup() {
  local a="$1" r n
  rules_q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO crm.clients (account_id, name, email) SELECT $a, 'Client ' || i, 'client' || i || '@example.com' FROM generate_series(1, 3) i;
INSERT INTO crm.client_phones (account_id, client_id, raw)
  SELECT $a, id, '8 (916) 123-00-0' || row_number() OVER (ORDER BY id) FROM crm.clients WHERE account_id = $a;
INSERT INTO crm.message_templates (account_id, name, body) VALUES ($a, 'Reminder', 'Hello {\$name}');
INSERT INTO crm.leads (account_id, type_id, contact_name) VALUES ($a, crm_test.id('lead_types', $a, 'Sales'), 'A lead');
SET client_min_messages = warning;
DROP ROLE IF EXISTS crm_test_login_$a;
CREATE ROLE crm_test_login_$a LOGIN IN ROLE crm_manager;
SELECT crm.bind_login('crm_test_login_$a', $a, crm_test.id('employees', $a, 'Anna'));
SQL
  for r in crm_test_admin crm_test_manager crm_test_reader "crm_test_login_$a"; do
    for n in 0 1 2; do citus_psql "$n" -c "ALTER ROLE $r LOGIN" >/dev/null 2>&1 || true; done
  done
}

# citus_rules_inbound A: receive_message (delegated to the account's worker) after a write,
# then a read, in one transaction (last: its new client and conversation would count in
# the views' checks).
citus_rules_inbound() {
  local a="$1"
  rules_expect "account $a: a write, receive_message, then a read, in one transaction" "in|1" \
    "$(rules_as "$a" crm_test_manager Anna "UPDATE crm.leads SET comment = 'x' WHERE account_id = $a;
SELECT direction FROM crm.receive_message('telegram', '@deleg_$a', 'Delegated', 'hello', now());
SELECT count(*) FROM crm.client_channels WHERE address = '@deleg_$a';" | paste -sd '|')"
}

# citus_rules_subplans A: Citus 13.2 leaves a session counting itself inside the planning
# of a subquery after an error raised there (a multi-shard FOR UPDATE in a subquery it
# plans recursively) and caught (ROLLBACK TO SAVEPOINT); it then delegates no function
# call: import_run's twin, run on the coordinator, refuses (0A000) saying so: connect
# again.  The next session delegates the same call (rolled back).
citus_rules_subplans() {
  local a="$1" out
  out="$(rules_as "$a" crm_test_admin Anna "\\set VERBOSITY verbose
SAVEPOINT planned;
\\set ON_ERROR_STOP 0
SELECT s.id FROM (SELECT id FROM crm.leads ORDER BY id LIMIT 1 FOR UPDATE) s JOIN crm.clients c ON c.id = s.id;
ROLLBACK TO SAVEPOINT planned;
\\set ON_ERROR_STOP 1
SELECT count(*) FROM crm.import_run();" 2>&1)" && rel_fail "account $a: a delegated call after a caught planning error: not refused (got: $out)"
  grep -q 'ERROR:  0A000: could not run distributed query with FOR UPDATE/SHARE' <<<"$out" ||
    rel_fail "account $a: the subquery's planning error was not Citus's: $(grep ERROR <<<"$out" | head -2)"
  grep -q 'ERROR:  0A000: crm._import_run() ran on the Citus coordinator' <<<"$out" &&
    grep -q 'it counts this session as planning a subquery or CTE' <<<"$out" &&
    grep -q 'HINT:  Connect again, then call crm.import_run.' <<<"$out" ||
    rel_fail "account $a: after a caught planning error, wanted crm's 0A000 saying connect again, got: $(grep -A2 'ERROR:  0A000: crm' <<<"$out")"
  rules_ok "account $a: import_run after Citus's planning error caught in a subtransaction: refused (0A000, connect again)"
  rules_expect "account $a: in a new session import_run is delegated" "5" \
    "$(rules_q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
SET LOCAL citus.propagate_set_commands = 'local';
SET LOCAL crm.account_id = $a;
SET LOCAL crm.employee_id = '$(rules_q -c "SELECT id FROM crm.employees WHERE account_id = $a AND name = 'Anna'")';
SET LOCAL ROLE crm_test_admin;
SELECT count(*) FROM crm.import_run();
ROLLBACK;
SQL
)"
}

citus_rules_run() {
  local a
  for a in "$@"; do
    citus_rules_account "$a"; citus_rules_chat_list "$a"; citus_rules_views "$a"; citus_rules_every_view "$a"
    citus_rules_inbound "$a"
  done
  citus_rules_subplans "$1"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  REL_SUITE=citus-rules
  . "$CITUS_RULES_DIR/../lib/common.sh"
  . "$REL_LIB/citus.sh"
  citus_crm_alone
  accounts=""
  for name in 'Rules A' 'Rules B' 'Rules C' 'Rules D'; do
    accounts="$accounts $(citus_val 0 -c "SELECT crm_test.company('$name')")"
  done
  set -- $accounts
  node() { citus_val 0 -c "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('crm.accounts', $1)"; }
  a=$1; b=""; for x in "${@:2}"; do [ "$(node "$x")" != "$(node "$a")" ] && { b=$x; break; }; done
  [ -n "$b" ] || rel_fail "no account on the other worker"
  for x in $a $b; do citus_rules_setup "$x"; done
  rel_log "accounts $a and $b on different workers"
  citus_rules_run "$a" "$b"
fi
