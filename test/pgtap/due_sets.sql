-- crm.run_due writes each batch as sets (the marks or changes, their history, their
-- notices): the rows are those the row triggers write for the same change made one
-- row at a time.
BEGIN;
SELECT plan(11);

SELECT crm_test.company('Sets A') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris,
       crm_test.id('employees', :a, 'Gone') AS gone, crm_test.id('employees', :a, 'Hidden') AS hidden \gset

-- Instants far in the past, so that nothing else in the database is due.
\set d '''2002-05-06 07:08:09.25+00'''
SELECT (:d::timestamptz + interval '1 second') AS after \gset

-- Every kind of recipient and channel: the manager (notification, the default, and
-- email), the creator, an employee, an inactive employee (no notice) and the admins.
INSERT INTO crm.notification_rules (account_id, event, notify, employee_id, channel) VALUES
    (:a, 'lead_overdue', 'manager', NULL, 'email'),
    (:a, 'lead_overdue', 'creator', NULL, 'email'),
    (:a, 'lead_overdue', 'employee', :hidden, 'notification'),
    (:a, 'lead_overdue', 'employee', :gone, 'email'),
    (:a, 'lead_overdue', 'admins', NULL, 'email');

-- Two leads alike, created by Anna and managed by Boris.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, deadline, manager_id) VALUES ('Twin', :d, :boris)
    RETURNING id AS l1, number AS n1 \gset
INSERT INTO crm.leads (contact_name, deadline, manager_id) VALUES ('Twin', :d, :boris)
    RETURNING id AS l2, number AS n2 \gset
RESET ROLE;

-- The first marked by a plain UPDATE, one row at a time through the row triggers; the
-- second by run_due, as a set.
UPDATE crm.leads SET overdue_since = deadline WHERE account_id = :a AND id = :l1;
SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'lead_overdue'), 1::bigint,
    'run_due marks the other lead');

CREATE TEMP VIEW twin_events AS
SELECT lead_id, kind, employee_id, from_status_id, to_status_id, detail FROM crm.lead_events
WHERE kind = 'deadline_expired';
SELECT results_eq(
    format('SELECT kind, employee_id, from_status_id, to_status_id, detail FROM twin_events WHERE lead_id = %s', :l2),
    format('SELECT kind, employee_id, from_status_id, to_status_id, detail FROM twin_events WHERE lead_id = %s', :l1),
    'the history row of the set is the row trigger''s');

CREATE TEMP VIEW twin_notices AS
SELECT o.id, (o.payload ->> 'lead_id')::bigint AS lead_id, o.kind, o.recipient, o.employee_id,
       replace(o.subject, l.number, 'N') AS subject, replace(o.body, l.number, 'N') AS body,
       o.payload - 'lead_id' - 'number' AS payload,
       replace(o.dedup_key, 'lead_overdue:' || l.id || ':', 'lead_overdue:L:') AS dedup_key
FROM crm.outbox o JOIN crm.leads l ON l.account_id = o.account_id AND l.id = (o.payload ->> 'lead_id')::bigint
WHERE o.payload ->> 'event' = 'lead_overdue';
SELECT results_eq(
    format('SELECT kind, recipient, employee_id, subject, body, payload, dedup_key FROM twin_notices WHERE lead_id = %s ORDER BY id', :l2),
    format('SELECT kind, recipient, employee_id, subject, body, payload, dedup_key FROM twin_notices WHERE lead_id = %s ORDER BY id', :l1),
    'the notices of the set are the row trigger''s, in the same order');
SELECT is((SELECT array_agg(DISTINCT employee_id ORDER BY employee_id) FROM twin_notices WHERE lead_id = :l2),
    (SELECT array_agg(id ORDER BY id) FROM crm.employees WHERE account_id = :a AND name IN ('Admin', 'Anna', 'Boris', 'Hidden')),
    '... to the manager, the creator, the employee and the admin, not to the inactive employee');
SELECT is((SELECT count(*) FROM twin_notices WHERE lead_id = :l2), 5::bigint,
    '... one per recipient and channel (the manager twice)');

-- A second run at the same instant queues nothing more.
SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'lead_overdue'), 0::bigint,
    'a second run marks nothing');

-- ---- auto-cancel: two invoices alike, with autopay on (cancelling turns it off) ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Set client') RETURNING id AS client \gset
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at, autopay, autopay_interval, next_charge_at)
    VALUES (:client, 70, :d, true, '1 month', '2090-01-01') RETURNING id AS i1 \gset
INSERT INTO crm.invoices (client_id, amount, auto_cancel_at, autopay, autopay_interval, next_charge_at)
    VALUES (:client, 70, :d, true, '1 month', '2090-01-01') RETURNING id AS i2 \gset
RESET ROLE;
-- each invoice's events so far (on Citus a node's ids are of its own range: no max to compare with)
SELECT coalesce(array_agg(id) FILTER (WHERE invoice_id = :i1), '{}') AS ev1, coalesce(array_agg(id) FILTER (WHERE invoice_id = :i2), '{}') AS ev2
  FROM crm.invoice_events WHERE account_id = :a \gset
UPDATE crm.invoices SET status = 'cancelled' WHERE account_id = :a AND id = :i1;
SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'invoice_auto_cancel'), 1::bigint,
    'run_due cancels the other invoice');
SELECT results_eq(
    format('SELECT kind, from_status, to_status, detail - ''reason'' FROM crm.invoice_events WHERE invoice_id = %s AND id <> ALL (%L) ORDER BY id', :i2, :'ev2'),
    format('SELECT kind, from_status, to_status, detail FROM crm.invoice_events WHERE invoice_id = %s AND id <> ALL (%L) ORDER BY id', :i1, :'ev1'),
    'the history rows of the set are the row trigger''s: status_changed, then autopay_off');
SELECT is((SELECT array_agg(coalesce(detail ->> 'reason', '-') || ' ' || coalesce(employee_id::text, 'system') ORDER BY id)
           FROM crm.invoice_events WHERE invoice_id = :i2 AND id <> ALL (:'ev2')),
    ARRAY['auto_cancel system', 'auto_cancel system'], '... with the reason auto_cancel, by no employee');

-- ---- autopay charges: the charge_queued event of each, as invoice_90_history writes it ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, autopay_limit, next_charge_at)
    VALUES (:client, 50, true, '1 month', 1, :d) RETURNING id AS c1 \gset
INSERT INTO crm.invoices (client_id, amount, autopay, autopay_interval, next_charge_at)
    VALUES (:client, 50, true, '1 month', :d) RETURNING id AS c2 \gset
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'autopay_charge'), 2::bigint,
    'run_due queues both charges');
SELECT results_eq(
    format('SELECT invoice_id, employee_id, detail FROM crm.invoice_events WHERE invoice_id IN (%s, %s) AND kind = ''charge_queued'' ORDER BY id', :c1, :c2),
    format($$VALUES (%s::bigint, NULL::bigint, '{"reason": "autopay", "charge": 1, "due_at": "2002-05-06T07:08:09.25+00:00", "amount": 50.00, "next_charge_at": null}'::jsonb),
                    (%s, NULL, '{"reason": "autopay", "charge": 1, "due_at": "2002-05-06T07:08:09.25+00:00", "amount": 50.00, "next_charge_at": "2002-06-06T07:08:09.25+00:00"}')$$, :c1, :c2),
    'the charge_queued events: the charge, its due time and amount, the next charge (none at the limit)');

SELECT * FROM finish();
ROLLBACK;
