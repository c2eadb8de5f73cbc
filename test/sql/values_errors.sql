-- Values: the errors of a business time outside 1900-01-01 .. 9999-12-31 UTC or
-- infinite, of an amount that is NaN or negative, of an interval that does not move
-- time forward or is too long, of a date out of range, and of a row written in an
-- account that does not exist; the bounds themselves are accepted.
-- Each failing statement is followed by its SQLSTATE; account 9001 and its fixed ids
-- keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name, timezone) VALUES (9001, 'Values A', 'America/New_York');
INSERT INTO crm.employees (account_id, id, name) VALUES (9001, 9001, 'Anna');
INSERT INTO crm.clients (account_id, id, name) VALUES (9001, 9001, 'Ivan');
INSERT INTO crm.offers (account_id, id, name, price) VALUES (9001, 9001, 'Course', 100);
INSERT INTO crm.invoices (account_id, id, client_id, amount) VALUES (9001, 9001, 9001, 100);
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES (9001, 9001, 'New', 'open', 1);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (9001, 9001, 'Sales', 9001, 'V-{YYYY}-{N:3}', true);
INSERT INTO crm.leads (account_id, id, contact_name, created_at) VALUES (9001, 9001, 'Olga', '2026-01-10 10:00:00+00');
INSERT INTO crm.call_tasks (account_id, id, client_id, title) VALUES (9001, 9001, 9001, 'Call');

SET crm.account_id = 9001;
SET crm.employee_id = 9001;
SET ROLE crm_regress_manager;
-- Business times: finite, from 1900-01-01 00:00:00+00 to 9999-12-31 23:59:59.999999+00.
UPDATE crm.leads SET deadline = '4714-11-24 00:00:00+00 BC' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.leads SET deadline = 'infinity' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.leads SET deadline = '1899-12-31 23:59:59.999999+00' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.leads SET deadline = '10000-01-01 00:00:00+00' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.leads (contact_name, created_at) VALUES ('Petr', 'infinity'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, created_at) VALUES (9001, '-infinity'); \echo SQLSTATE :SQLSTATE
SELECT crm.set_auto_cancel(9001, 'infinity'); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9001, 10, true, at => 'infinity'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9001, outcome => 'talked', called_at => 'infinity'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9001, outcome => 'call_back', called_at => '2026-01-10 10:00:00+00',
                    callback_at => 'infinity'); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_next_call('infinity'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, autopay, autopay_interval, next_charge_at)
  VALUES (9001, true, '1 month', '-infinity'); \echo SQLSTATE :SQLSTATE
-- The bounds are business times.
UPDATE crm.leads SET deadline = '1900-01-01 00:00:00+00' WHERE id = 9001;
UPDATE crm.leads SET deadline = '9999-12-31 23:59:59.999999+00' WHERE id = 9001;
SELECT deadline FROM crm.leads WHERE id = 9001;
-- Amounts, prices, quantities and budgets: numbers, never NaN, never negative.
INSERT INTO crm.orders (amount) VALUES ('NaN'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (9001, 9001, 'NaN'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity) VALUES (9001, 9001, 0); \echo SQLSTATE :SQLSTATE
UPDATE crm.leads SET budget = -1 WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.clients SET budget = 'NaN' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9001, 'NaN', true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9001, 'Infinity', true); \echo SQLSTATE :SQLSTATE
-- Intervals that schedule: no negative part, one positive part, at most 100 years.
UPDATE crm.invoices SET autopay_interval = '1 mon -29 days' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay_interval = '300000 years' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay = true, autopay_interval = '0' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9001, outcome => 'call_back', called_at => '2026-01-10 10:00:00+00',
                    callback_after => '1 day -1 hour'); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_next_call('2026-01-10 10:00:00+00', hold => '-1 minute'); \echo SQLSTATE :SQLSTATE
SELECT * FROM crm.claim_next_call('2026-01-10 10:00:00+00', hold => '2 days'); \echo SQLSTATE :SQLSTATE
-- A date.
UPDATE crm.clients SET birthday = 'infinity' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
RESET ROLE;
SET ROLE crm_regress_admin;
UPDATE crm.accounts SET no_answer_first_retry = '1 mon -40 days' WHERE id = 9001; \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- A row written in an account that does not exist (a crm_service member may name any),
-- by no employee (an employee of account 9001 is no employee of it).
SET crm.account_id = 9099;
SET crm.employee_id = '';
SET ROLE crm_regress_manager;
INSERT INTO crm.invoices (client_id) VALUES (9001); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (amount) VALUES (1); \echo SQLSTATE :SQLSTATE
RESET ROLE;

-- Nothing changed but the deadline.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, number, deadline, budget FROM crm.leads WHERE account_id = 9001 ORDER BY id;
SELECT id, status, amount, autopay, autopay_interval, next_charge_at, auto_cancel_at FROM crm.invoices WHERE account_id = 9001 ORDER BY id;
SELECT count(*) AS items FROM crm.invoice_items WHERE account_id = 9001;
SELECT count(*) AS payments FROM crm.payments WHERE account_id = 9001;
SELECT count(*) AS calls FROM crm.calls WHERE account_id = 9001;
SELECT count(*) AS orders FROM crm.orders WHERE account_id IN (9001, 9099);
SELECT budget, birthday FROM crm.clients WHERE account_id = 9001;
SELECT no_answer_first_retry FROM crm.accounts WHERE id = 9001;
