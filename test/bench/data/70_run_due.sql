-- data/70_run_due.sql: the backlog of the run_due workload, 1,000,000·s due items (at
-- least 1,000), due at a fixed instant `due_now` taken from the data, never the clock:
--   50% open leads whose deadline passed (lead_overdue),
--   25% awaiting invoices whose auto_cancel_at passed (invoice_auto_cancel),
--   25% awaiting autopay invoices whose next_charge_at passed (autopay_charge); every fifth
--       has autopay_limit 1, so its charge leaves no next charge.
-- The leads are of their own lead type "Due" (D-{N:7}) and belong to their own employee
-- "Due desk", so the lead workloads and read workloads (random managers 1..nemp, random
-- leads 1..nleads) never meet them.  due_now is one day before the earliest instant anything
-- else in the data becomes due, so run_due at due_now handles exactly this backlog; an
-- autopay charge moves next_charge_at one month on, past due_now.  Rows are written as the
-- triggers would write them: numbers (each counter without a gap), 'created' (and 'autopay_on') events, one item per
-- invoice.  run_due.prepare.sql puts the same backlog back before each point.
-- Records due (items), due_now (epoch seconds) and the id ranges of the three kinds:
-- due_lead_lo..due_lead_hi, due_cancel_lo..due_cancel_hi, due_charge_lo..due_charge_hi.
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SELECT setseed(0.7070);
SELECT value AS n_cli FROM public.bench_vars WHERE name = 'ncli' \gset
SELECT greatest(1000, (1000000 * :scale)::int) AS n_due \gset
SELECT :n_due / 2 AS n_lead, :n_due / 4 AS n_cancel, :n_due - :n_due / 2 - :n_due / 4 AS n_charge \gset
-- The fixed "now": a day before anything already in the data is due, and at most 2026-06-01.
SELECT floor(extract(epoch FROM least(timestamptz '2026-06-01',
         (SELECT min(deadline) FROM crm.leads WHERE deadline IS NOT NULL AND closed_at IS NULL AND overdue_since IS NULL),
         (SELECT min(auto_cancel_at) FROM crm.invoices WHERE status IN ('awaiting', 'prepaid')),
         (SELECT min(next_charge_at) FROM crm.invoices WHERE autopay)) - interval '1 day'))::bigint AS due_now \gset

INSERT INTO crm.employees (name, email, role) VALUES ('Due desk', 'due-desk@example.com', 'manager')
  RETURNING id AS due_emp \gset
INSERT INTO crm.lead_types (name, initial_status_id, number_template, is_default) VALUES ('Due', 1, 'D-{N:7}', false)
  RETURNING id AS due_type \gset
INSERT INTO crm.number_sequences (key) VALUES ('D-{N:7}') RETURNING id AS due_seq \gset

-- Id ranges, taken from the sequences so that later inserts never collide.
SELECT nextval(pg_get_serial_sequence('crm.leads', 'id')) AS lead_lo \gset
SELECT setval(pg_get_serial_sequence('crm.leads', 'id'), :lead_lo + :n_lead - 1) AS lead_hi \gset
SELECT nextval(pg_get_serial_sequence('crm.invoices', 'id')) AS cancel_lo \gset
-- Their numbers follow the invoices' counter (INV-{N:6}) without a gap, as crm numbers them.
SELECT coalesce(max(number_seq), 0) AS inv_seq FROM crm.invoices WHERE account_id = 1 AND number_sequence_id = 2 \gset
SELECT :cancel_lo + :n_cancel - 1 AS cancel_hi, :cancel_lo + :n_cancel AS charge_lo,
       :cancel_lo + :n_cancel + :n_charge - 1 AS charge_hi \gset
SELECT setval(pg_get_serial_sequence('crm.invoices', 'id'), :charge_hi);

SET session_replication_role = replica;
-- Leads: deadline one second apart, the last one a second before due_now.
INSERT INTO crm.leads (account_id, id, number, number_sequence_id, number_seq, type_id, status_id, contact_name,
                       manager_id, deadline, created_at, status_changed_at)
SELECT 1, g, 'D-' || lpad((g - :lead_lo + 1)::text, greatest(7, length((g - :lead_lo + 1)::text)), '0'), :due_seq, g - :lead_lo + 1, :due_type, 1,
       'Due ' || (g - :lead_lo + 1), :due_emp,
       to_timestamp(:due_now) - (:lead_hi - g + 1) * interval '1 second',
       to_timestamp(:due_now) - interval '30 days', to_timestamp(:due_now) - interval '30 days'
FROM generate_series(:lead_lo, :lead_hi) g;
INSERT INTO crm.lead_events (account_id, lead_id, at, kind, to_status_id, detail)
SELECT 1, id, created_at, 'created', 1, jsonb_build_object('number', number)
FROM crm.leads WHERE account_id = 1 AND id BETWEEN :lead_lo AND :lead_hi;

-- Invoices: awaiting, one item of offer 1 (price 100); auto-cancel ones with auto_cancel_at,
-- autopay ones with a monthly charge due, both one second apart up to a second before due_now.
INSERT INTO crm.invoices (account_id, id, number, number_sequence_id, number_seq, client_id, manager_id, status, amount,
                          auto_cancel_at, autopay, autopay_interval, autopay_limit, next_charge_at,
                          created_at, updated_at, status_changed_at)
SELECT 1, g, 'INV-' || lpad((:inv_seq + g - :cancel_lo + 1)::text, greatest(6, length((:inv_seq + g - :cancel_lo + 1)::text)), '0'), 2,
       :inv_seq + g - :cancel_lo + 1, 1 + (random() * (:n_cli - 1))::bigint, :due_emp, 'awaiting', 100,
       CASE WHEN g <= :cancel_hi THEN to_timestamp(:due_now) - (:cancel_hi - g + 1) * interval '1 second' END,
       g > :cancel_hi, CASE WHEN g > :cancel_hi THEN interval '1 month' END,
       CASE WHEN g > :cancel_hi AND g % 5 = 0 THEN 1 END,
       CASE WHEN g > :cancel_hi THEN to_timestamp(:due_now) - (:charge_hi - g + 1) * interval '1 second' END,
       to_timestamp(:due_now) - interval '10 days', to_timestamp(:due_now) - interval '10 days',
       to_timestamp(:due_now) - interval '10 days'
FROM generate_series(:cancel_lo, :charge_hi) g;
INSERT INTO crm.invoice_items (account_id, invoice_id, offer_id, quantity, price)
SELECT 1, g, 1, 1, 100 FROM generate_series(:cancel_lo, :charge_hi) g;
INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, to_status, detail)
SELECT 1, id, created_at, :due_emp, 'created', 'awaiting',
       jsonb_build_object('number', number, 'amount', amount::text, 'comment', NULL)
FROM crm.invoices WHERE account_id = 1 AND id BETWEEN :cancel_lo AND :charge_hi;
INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail)
SELECT 1, id, created_at, :due_emp, 'autopay_on',
       jsonb_build_object('next_charge_at', next_charge_at::text, 'interval', autopay_interval::text,
                          'limit', autopay_limit::text)
FROM crm.invoices WHERE account_id = 1 AND id BETWEEN :charge_lo AND :charge_hi;
RESET session_replication_role;

INSERT INTO public.bench_vars VALUES
  ('due', :n_due), ('due_now', :due_now),
  ('due_lead_lo', :lead_lo), ('due_lead_hi', :lead_hi),
  ('due_cancel_lo', :cancel_lo), ('due_cancel_hi', :cancel_hi),
  ('due_charge_lo', :charge_lo), ('due_charge_hi', :charge_hi);
