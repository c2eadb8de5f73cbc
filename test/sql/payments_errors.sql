-- Payments: the errors of an amount that is not positive, of a payment over what is
-- due or a refund over what was paid, of a payment on an invoice that takes none, of
-- an invoice that does not exist, and of rewriting a payment.
-- Each failing statement is followed by its SQLSTATE; account 9601 and its fixed ids
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
INSERT INTO crm.accounts (id, name) VALUES (9601, 'Payments A');
INSERT INTO crm.employees (account_id, id, name) VALUES (9601, 9601, 'Anna');
INSERT INTO crm.clients (account_id, id, name) VALUES (9601, 9601, 'Ivan');
SET crm.account_id = 9601;
SET crm.employee_id = 9601;
-- INV-000001 awaiting 100, INV-000002 paid 100, INV-000003 cancelled, INV-000004
-- awaiting without autopay.
INSERT INTO crm.invoices (id, client_id, amount) VALUES (9601, 9601, 100), (9602, 9601, 100), (9603, 9601, 100), (9604, 9601, 100);
SELECT kind, amount, succeeded FROM crm.record_payment(9602, 100, true, 'payment', '2026-01-10 10:00:00+00');
SELECT number, status FROM crm.cancel_invoice(9603);

SET ROLE crm_regress_manager;
-- An amount is positive, whatever the kind.
SELECT crm.record_payment(9601, 0, true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9601, -10, true, 'refund'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (9601, -0.01, false); \echo SQLSTATE :SQLSTATE
-- No more than is due, and no refund of more than was paid.
SELECT crm.record_payment(9601, 150, true); \echo SQLSTATE :SQLSTATE
SELECT kind, amount, succeeded FROM crm.record_payment(9601, 60, true, 'prepayment', '2026-01-10 11:00:00+00');
SELECT crm.record_payment(9601, 50, true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9602, 1, true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9602, 150, true, 'refund'); \echo SQLSTATE :SQLSTATE
-- Invoices that take no such payment.
SELECT crm.record_payment(9603, 10, true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9601, 10, true, 'refund'); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9604, 100, true, 'autopay'); \echo SQLSTATE :SQLSTATE
-- An invoice that does not exist, and NULL.
SELECT crm.record_payment(9699, 10, true); \echo SQLSTATE :SQLSTATE
SELECT crm.record_payment(9601, NULL, true); \echo SQLSTATE :SQLSTATE
SELECT crm.refund_invoice(9699); \echo SQLSTATE :SQLSTATE
SELECT crm.refund_invoice(NULL); \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- Payments are append-only, even for the owner.
UPDATE crm.payments SET amount = 1 WHERE invoice_id = 9602; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.payments WHERE invoice_id = 9602; \echo SQLSTATE :SQLSTATE

-- Nothing changed but the prepayment.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, number, status, amount, paid_amount, refunded_amount FROM crm.invoices WHERE account_id = 9601 ORDER BY id;
SELECT invoice_id, kind, amount, succeeded, at FROM crm.payments WHERE account_id = 9601 ORDER BY invoice_id, at;
