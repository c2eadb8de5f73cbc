-- Calls: the errors of a call with no target or a target that does not exist, of a
-- recording that is not an .mp3, of a call-back before the call or with no time, of
-- a template that cannot be sent, of a skipped email written by hand, of a claim
-- without an employee who may claim, and of rewriting a call.
-- Each failing statement is followed by its SQLSTATE; account 9701 and its fixed ids
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
END $$;
INSERT INTO crm.accounts (id, name) VALUES (9701, 'Calls A');
INSERT INTO crm.employees (account_id, id, name, can_see_customers) VALUES
  (9701, 9701, 'Anna', true), (9701, 9702, 'Hidden', false);
INSERT INTO crm.clients (account_id, id, name, email) VALUES (9701, 9701, 'Ivan', NULL);
INSERT INTO crm.message_templates (account_id, id, name, body) VALUES (9701, 9701, 'Reminder', 'Hello {$name}');
INSERT INTO crm.invoices (account_id, id, client_id, amount) VALUES (9701, 9701, 9701, 100);
INSERT INTO crm.call_tasks (account_id, id, client_id, title, next_call_at)
  VALUES (9701, 9701, 9701, 'Offer the course', '2026-01-10 09:00:00+00');
INSERT INTO crm.calls (account_id, id, invoice_id, outcome, called_at)
  VALUES (9701, 9701, 9701, 'no_answer', '2026-01-10 10:00:00+00');

SET crm.account_id = 9701;
SET crm.employee_id = 9701;
SET ROLE crm_regress_manager;
-- A call is on an invoice or a call task of the account.
INSERT INTO crm.calls (outcome, called_at) VALUES ('talked', '2026-01-10 10:00:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(outcome => 'talked'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(invoice_id => 9799, outcome => 'talked'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9799, outcome => 'talked'); \echo SQLSTATE :SQLSTATE
-- A recording is an .mp3 file.
SELECT crm.log_call(task_id => 9701, outcome => 'talked', recording => 'calls/9701.wav'); \echo SQLSTATE :SQLSTATE
-- A call-back is at or after the call, and call_back needs one.  (The detail of the first
-- shows callback_at for called_at too: both times are formatted into one static buffer.)
SELECT crm.log_call(task_id => 9701, outcome => 'call_back', called_at => '2026-01-10 10:00:00+00',
                    callback_at => '2026-01-10 09:00:00+00'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9701, outcome => 'call_back', called_at => '2026-01-10 10:00:00+00',
                    callback_after => '-1 hour'); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(task_id => 9701, outcome => 'call_back', called_at => '2026-01-10 10:00:00+00'); \echo SQLSTATE :SQLSTATE
-- A template sent after the call: it exists (the foreign key says so first), and the
-- client has an email.
SELECT crm.log_call(invoice_id => 9701, outcome => 'talked', template_id => 9799); \echo SQLSTATE :SQLSTATE
SELECT crm.log_call(invoice_id => 9701, outcome => 'talked', template_id => 9701); \echo SQLSTATE :SQLSTATE
-- Why a template email was skipped (a not_client or spam client) is crm's to record.
INSERT INTO crm.calls (invoice_id, outcome, template_id, email_skipped)
  VALUES (9701, 'talked', 9701, 'not_client'); \echo SQLSTATE :SQLSTATE
-- Claiming the next call needs an employee who may see customers.
RESET crm.employee_id;
SELECT * FROM crm.claim_next_call('2026-01-10 12:00:00+00'); \echo SQLSTATE :SQLSTATE
SET crm.employee_id = 9702;
SELECT * FROM crm.claim_next_call('2026-01-10 12:00:00+00'); \echo SQLSTATE :SQLSTATE
SET crm.employee_id = 9799;
SELECT * FROM crm.claim_next_call('2026-01-10 12:00:00+00'); \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- Calls are append-only, even for the owner.
UPDATE crm.calls SET outcome = 'talked' WHERE id = 9701; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.calls WHERE id = 9701; \echo SQLSTATE :SQLSTATE
TRUNCATE crm.calls; \echo SQLSTATE :SQLSTATE

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, invoice_id, task_id, outcome, called_at FROM crm.calls WHERE account_id = 9701 ORDER BY id;
SELECT id, next_call_at, call_attempts, claimed_by FROM crm.invoices WHERE account_id = 9701 ORDER BY id;
SELECT id, next_call_at, call_attempts, claimed_by FROM crm.call_tasks WHERE account_id = 9701 ORDER BY id;
SELECT count(*) AS outbox FROM crm.outbox WHERE account_id = 9701;
