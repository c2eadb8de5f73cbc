-- Invoices: the errors of a status move the invoice rules do not allow (a paid invoice
-- is neither cancelled nor deleted, not even by its reissue), of a number given from
-- outside that crm's template could make or that is taken, of a fixed or derived column
-- written by hand, of a changed amount or items once an invoice is no longer awaiting,
-- of auto-cancel and autopay out of place (a next charge while autopay is off), of an
-- invoice that does not exist, and of rewriting history.
-- Each failing statement is followed by its SQLSTATE; account 9501 and its fixed ids
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
INSERT INTO crm.accounts (id, name) VALUES (9501, 'Invoices A');
INSERT INTO crm.employees (account_id, id, name, role) VALUES (9501, 9501, 'Anna', 'manager');
INSERT INTO crm.clients (account_id, id, name) VALUES (9501, 9501, 'Ivan');
INSERT INTO crm.offers (account_id, id, name, price) VALUES (9501, 9501, 'Course', 100);
SET crm.account_id = 9501;
SET crm.employee_id = 9501;
-- INV-000001 awaiting, INV-000002 paid, INV-000003 cancelled, INV-000004 with autopay,
-- INV-000005 without an autopay interval, INV-000006 deleted, INV-000007 whose autopay
-- has made its one charge, WEB-1 numbered by a web shop.
INSERT INTO crm.invoices (id, client_id) VALUES (9501, 9501), (9502, 9501), (9503, 9501);
INSERT INTO crm.invoice_items (id, invoice_id, offer_id, price) VALUES (9501, 9501, 9501, 100), (9502, 9502, 9501, 100);
INSERT INTO crm.invoices (id, client_id, amount, autopay, autopay_interval, next_charge_at)
  VALUES (9504, 9501, 100, true, '1 month', '2030-01-01 00:00:00+00');
INSERT INTO crm.invoices (id, client_id, amount) VALUES (9505, 9501, 100), (9506, 9501, 100);
INSERT INTO crm.invoices (id, client_id, amount, autopay, autopay_interval, autopay_limit)
  VALUES (9507, 9501, 100, true, '1 month', 1);
SELECT number, status FROM crm.confirm_invoice(9502);
SELECT number, status FROM crm.cancel_invoice(9503);
SELECT number, status FROM crm.delete_invoice(9506);
SELECT kind, amount, succeeded FROM crm.record_payment(9507, 100, true, 'autopay');
SELECT number, status, autopay, autopay_count, autopay_limit FROM crm.invoices WHERE id = 9507;
INSERT INTO crm.invoices (id, client_id, number) VALUES (9508, 9501, 'WEB-1') RETURNING number, number_sequence_id;

SET ROLE crm_regress_manager;
-- A new invoice: a number given from outside is neither empty, nor one the template
-- (INV-{N:6}) could make, nor taken; it starts awaiting, its derived columns start empty,
-- and only a reissue says which invoice it replaces.
INSERT INTO crm.invoices (client_id, number) VALUES (9501, ''); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, number) VALUES (9501, 'INV-000009'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, number) VALUES (9501, 'WEB-1'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, status) VALUES (9501, 'paid'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, paid_amount) VALUES (9501, 100); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, income) VALUES (9501, 100); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, replaces_invoice_id) VALUES (9501, 9502); \echo SQLSTATE :SQLSTATE
-- Fixed and derived columns.
UPDATE crm.invoices SET number = 'INV-2' WHERE id = 9501; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET created_at = '2020-01-01 00:00:00+00' WHERE id = 9501; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET paid_amount = 100 WHERE id = 9501; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay_count = 1 WHERE id = 9504; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET income = 100 WHERE id = 9502; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET paid_at = '2030-01-01 00:00:00+00' WHERE id = 9502; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET replaces_invoice_id = 9501 WHERE id = 9505; \echo SQLSTATE :SQLSTATE
-- Moves the invoice rules do not allow: the hint lists those that are.  A paid invoice
-- is neither cancelled nor deleted: refund it first, or reissue it.
SELECT crm.cancel_invoice(9502); \echo SQLSTATE :SQLSTATE
SELECT crm.delete_invoice(9502); \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET status = 'deleted' WHERE id = 9502; \echo SQLSTATE :SQLSTATE
SELECT crm.reissue_invoice(9502, cancel_old => true); \echo SQLSTATE :SQLSTATE
SELECT crm.confirm_invoice(9503); \echo SQLSTATE :SQLSTATE
SELECT crm.refund_invoice(9501); \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET status = 'prepaid' WHERE id = 9501; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET status = 'awaiting' WHERE id = 9506; \echo SQLSTATE :SQLSTATE
-- Amount and items change only while the invoice is awaiting.
UPDATE crm.invoices SET amount = 50 WHERE id = 9502; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (9502, 9501, 10); \echo SQLSTATE :SQLSTATE
UPDATE crm.invoice_items SET quantity = 2 WHERE id = 9502; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.invoice_items WHERE id = 9502; \echo SQLSTATE :SQLSTATE
-- Auto-cancel is for awaiting and prepaid invoices.
SELECT crm.set_auto_cancel(9502, '2030-01-01 00:00:00+00'); \echo SQLSTATE :SQLSTATE
-- Autopay: it needs an interval that moves time forward, only an administrator turns it off, and it
-- is not turned on for a final invoice or past its limit.
SELECT crm.set_autopay(9505, true); \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay = true, autopay_interval = '-1 day' WHERE id = 9505; \echo SQLSTATE :SQLSTATE
SELECT crm.set_autopay(9504, false); \echo SQLSTATE :SQLSTATE
-- While autopay is on its schedule is the administrator's too: a charge put off to the
-- year 9999, a longer interval or a limit already reached stop charges as well.
UPDATE crm.invoices SET next_charge_at = '9999-01-01 00:00:00+00' WHERE id = 9504; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay_interval = '99 years' WHERE id = 9504; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoices SET autopay_limit = 1 WHERE id = 9504; \echo SQLSTATE :SQLSTATE
SELECT crm.set_autopay(9503, true); \echo SQLSTATE :SQLSTATE
SELECT crm.set_autopay(9507, true); \echo SQLSTATE :SQLSTATE
-- With autopay off there is no next charge: one written is refused, not dropped.
UPDATE crm.invoices SET autopay_interval = '1 month', next_charge_at = '2030-01-01 00:00:00+00' WHERE id = 9505; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.invoices (client_id, autopay_interval, next_charge_at) VALUES (9501, '1 month', '2030-01-01 00:00:00+00'); \echo SQLSTATE :SQLSTATE
-- An invoice that does not exist, and NULL.
SELECT crm.confirm_invoice(9599); \echo SQLSTATE :SQLSTATE
SELECT crm.confirm_invoice(NULL); \echo SQLSTATE :SQLSTATE
SELECT crm.set_autopay(9501, NULL); \echo SQLSTATE :SQLSTATE
RESET ROLE;
-- Invoices are not deleted and their history is not rewritten, not even by the owner.
DELETE FROM crm.invoices WHERE id = 9501; \echo SQLSTATE :SQLSTATE
UPDATE crm.invoice_events SET kind = 'rewritten' WHERE invoice_id = 9501; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.invoice_events WHERE invoice_id = 9501; \echo SQLSTATE :SQLSTATE
TRUNCATE crm.invoice_events; \echo SQLSTATE :SQLSTATE

-- Nothing changed.
RESET crm.account_id;
RESET crm.employee_id;
SELECT id, number, status, amount, paid_amount, income, autopay, autopay_interval, autopay_count,
       auto_cancel_at, next_charge_at, replaces_invoice_id
FROM crm.invoices WHERE account_id = 9501 ORDER BY id;
SELECT id, invoice_id, quantity, price FROM crm.invoice_items WHERE account_id = 9501 ORDER BY id;
SELECT invoice_id, kind, from_status, to_status FROM crm.invoice_events WHERE account_id = 9501 ORDER BY invoice_id, id;
