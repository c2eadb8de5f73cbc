-- run_due (bare): the same final rows as crm.run_due, written by the client in set-based
-- statements over the whole backlog, with no claim (no LIMIT, no SKIP LOCKED), no history
-- events and no rules: overdue leads marked and their managers notified (outbox), due
-- invoices cancelled, due autopay charges queued (outbox) and next_charge_at moved on.
-- The notification's time is formatted with dots turned into colons only because pgbench
-- would read :MI in a format string as a variable.
WITH marked AS (
  UPDATE crm.leads l SET overdue_since = l.deadline
   WHERE l.deadline < to_timestamp(:due_now::bigint) AND l.closed_at IS NULL AND l.overdue_since IS NULL
  RETURNING l.account_id, l.id, l.number, l.contact_name, l.deadline, l.manager_id),
notified AS (
  INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, payload, dedup_key)
  SELECT m.account_id, 'notification', e.email, format('Lead %s is overdue', m.number),
         format('The deadline of lead %s (%s) passed at %s %s.', m.number, coalesce(m.contact_name, 'no contact name'),
                replace(to_char(m.deadline AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24.MI.SS'), '.', ':'), a.timezone),
         jsonb_build_object('event', 'lead_overdue', 'lead_id', m.id, 'number', m.number,
                            'manager_id', m.manager_id, 'deadline', m.deadline),
         format('lead_overdue:%s:%s', m.id, date_part('epoch', m.deadline))
  FROM marked m JOIN crm.accounts a ON a.id = m.account_id
  LEFT JOIN crm.employees e ON e.account_id = m.account_id AND e.id = m.manager_id
  RETURNING 1),
cancelled AS (
  UPDATE crm.invoices SET status = 'cancelled', status_changed_at = now(), updated_at = now(),
                          autopay = false, next_charge_at = NULL
   WHERE auto_cancel_at <= to_timestamp(:due_now::bigint) AND status IN ('awaiting', 'prepaid')
  RETURNING 1),
charged AS (
  UPDATE crm.invoices i SET autopay_pending = i.autopay_pending + 1, autopay_queued = i.autopay_queued + 1,
         autopay_last_charge_at = i.next_charge_at, updated_at = now(),
         next_charge_at = CASE WHEN i.autopay_limit IS NOT NULL
                                AND i.autopay_count + i.autopay_pending + 1 >= i.autopay_limit THEN NULL
                               ELSE i.next_charge_at + i.autopay_interval END
   WHERE i.next_charge_at <= to_timestamp(:due_now::bigint) AND i.autopay AND i.status IN ('awaiting', 'prepaid', 'paid')
  RETURNING i.account_id, i.id, i.number, i.client_id, i.amount, i.autopay_queued, i.autopay_last_charge_at),
queued AS (
  INSERT INTO crm.outbox (account_id, kind, payload, dedup_key)
  SELECT account_id, 'charge',
         jsonb_build_object('invoice_id', id, 'number', number, 'client_id', client_id, 'amount', amount,
                            'charge', autopay_queued, 'due_at', autopay_last_charge_at),
         'charge:' || id || ':' || autopay_queued
  FROM charged
  RETURNING 1)
SELECT (SELECT count(*) FROM notified) + (SELECT count(*) FROM cancelled) + (SELECT count(*) FROM queued);
