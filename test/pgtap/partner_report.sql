-- The partner report and the FAQ of article 003: "Do not create a new invoice and delete
-- the old one!  If you delete the old invoice and create a new one for the client (paid
-- 'by hand' in the account, without any real money), your partners get their commission
-- for the old invoice and for the new one."  A paid invoice is neither deleted nor
-- cancelled (refund it first, or reissue it), a reissue records the invoice it replaces,
-- and crm.partner_report counts an invoice and its replacements once.
BEGIN;
SELECT plan(30);

SELECT crm_test.company('Partners A') AS a \gset
SELECT crm_test.company('Partners B') AS b \gset
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price) VALUES ('Course', 100) RETURNING id AS course \gset
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name, email) VALUES ('Ivan', 'ivan@example.com') RETURNING id AS ivan \gset

-- A partner's client buys the course and pays for real.
INSERT INTO crm.invoices (client_id, partner) VALUES (:ivan, 'blogger') RETURNING id AS old, number AS old_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:old, :course);
SELECT lives_ok(format('SELECT crm.record_payment(%s, 100, true)', :old), 'the client pays 100');
SELECT results_eq($$SELECT partner, invoices, paid_invoices, paid_amount FROM crm.partner_report$$,
    $$VALUES ('blogger'::text, 1::bigint, 1::bigint, 100.00::numeric)$$, 'the partner has one paid sale of 100');

-- The email in the invoice is wrong.  The manager tries to delete the paid invoice.
SELECT throws_ok(format('SELECT crm.delete_invoice(%s)', :old), '55000',
    format('invoice "%s" cannot move from "paid" to "deleted"', :'old_number'), 'a paid invoice cannot be deleted');
CREATE FUNCTION pg_temp.hint_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
  EXECUTE statement;
  RETURN NULL;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RETURN h;
END $$;
SELECT is(pg_temp.hint_of(format('SELECT crm.delete_invoice(%s)', :old)),
    format('Refund it first with crm.refund_invoice(%s), or reissue it with crm.reissue_invoice(%s): the new invoice replaces it, and crm.partner_report counts the two once.', :old, :old),
    'the hint says: refund first, or reissue');
SELECT throws_ok(format('SELECT crm.cancel_invoice(%s)', :old), '55000', NULL, 'nor cancelled');
SELECT throws_ok(format($$UPDATE crm.invoices SET status = 'deleted' WHERE id = %s$$, :old), '55000', NULL, 'not by a plain UPDATE either');
SELECT throws_ok(format($$UPDATE crm.invoices SET status = 'cancelled' WHERE id = %s$$, :old), '55000', NULL, 'nor cancelled so');
SELECT throws_ok(format('SELECT crm.reissue_invoice(%s, cancel_old => true)', :old), '55000',
    format('paid invoice "%s" cannot be cancelled by its reissue', :'old_number'), 'nor cancelled by its reissue');
SELECT is((SELECT status FROM crm.invoices WHERE id = :old), 'paid', 'the invoice is still paid');
SELECT is((SELECT count(*) FROM crm.invoices WHERE client_id = :ivan), 1::bigint, 'and the refused reissue made no invoice');

-- So the manager reissues it, and confirms the new invoice by hand (no real money).
SELECT (crm.reissue_invoice(:old)).id AS new \gset
SELECT is((SELECT replaces_invoice_id FROM crm.invoices WHERE id = :new), :'old'::bigint, 'the new invoice replaces the old one');
SELECT is((SELECT partner FROM crm.invoices WHERE id = :new), 'blogger', 'with the same partner');
SELECT is((crm.confirm_invoice(:new, 'paid already, see the invoice it replaces')).status, 'paid', 'confirmed by hand');
SELECT results_eq($$SELECT partner, invoices, paid_invoices, paid_amount FROM crm.partner_report$$,
    $$VALUES ('blogger'::text, 1::bigint, 1::bigint, 100.00::numeric)$$,
    'the partner report counts the invoice and its replacement once: no double commission');
SELECT is((SELECT income FROM crm.invoices WHERE id = :new), 0.00::numeric, 'the replacement brought no money');

-- Reissued again: a chain of three is still one sale.
SELECT (crm.reissue_invoice(:new)).id AS third \gset
SELECT is((SELECT invoices FROM crm.partner_report WHERE partner = 'blogger'), 1::bigint, 'a chain of three replacements is one sale');

-- Other sales of the partner count on their own; an unpaid one counts as a sale, not as paid;
-- a deleted one not at all.
INSERT INTO crm.invoices (client_id, partner, amount) VALUES (:ivan, 'blogger', 250) RETURNING id AS second \gset
SELECT lives_ok(format('SELECT crm.record_payment(%s, 250, true)', :second), 'a second real sale');
INSERT INTO crm.invoices (client_id, partner, amount) VALUES (:ivan, 'blogger', 70) RETURNING id AS unpaid \gset
SELECT lives_ok(format('SELECT crm.record_payment(%s, 20, true)', :unpaid), 'and a prepaid one');
INSERT INTO crm.invoices (client_id, partner, amount) VALUES (:ivan, 'blogger', 80) RETURNING id AS gone \gset
SELECT is((crm.delete_invoice(:gone)).status, 'deleted', 'and a deleted one');
INSERT INTO crm.invoices (client_id, partner, amount) VALUES (:ivan, 'affiliate', 40) RETURNING id AS other \gset
SELECT lives_ok(format('SELECT crm.confirm_invoice(%s)', :other), 'a sale of another partner, confirmed by hand');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 999) RETURNING id AS nopartner \gset
SELECT lives_ok(format('SELECT crm.confirm_invoice(%s)', :nopartner), 'and one without a partner');
SELECT results_eq($$SELECT partner, invoices, paid_invoices, paid_amount FROM crm.partner_report ORDER BY partner$$,
    $$VALUES ('affiliate'::text, 1::bigint, 1::bigint, 40.00::numeric), ('blogger', 3, 2, 350.00)$$,
    'per partner: sales, paid sales and what they brought; no row for invoices without a partner');

-- Refund first: the refunded invoice may then be deleted, and no longer counts as paid.
SELECT is((crm.refund_invoice(:second, 'returned')).status, 'refunded', 'the second sale is refunded');
SELECT is((crm.delete_invoice(:second)).status, 'deleted', 'then it can be deleted');
SELECT results_eq($$SELECT invoices, paid_invoices, paid_amount FROM crm.partner_report WHERE partner = 'blogger'$$,
    $$VALUES (2::bigint, 1::bigint, 100.00::numeric)$$, 'a refunded sale brings nothing, and once deleted it is no sale');
RESET ROLE;

-- A reader reads it; another account sees none of it.
SELECT crm_test.act('crm_test_reader', :a, NULL);
SELECT is((SELECT count(*) FROM crm.partner_report), 2::bigint, 'a reader reads the report');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :b, NULL);
SELECT is((SELECT count(*) FROM crm.partner_report), 0::bigint, 'another account sees none of it');
RESET ROLE;
SELECT results_eq($$SELECT account_id, partner, invoices, paid_invoices, paid_amount FROM crm.partner_report
                    WHERE account_id IN ($$ || :a || ', ' || :b || $$) ORDER BY partner$$,
    format($$VALUES (%s::bigint, 'affiliate'::text, 1::bigint, 1::bigint, 40.00::numeric), (%s, 'blogger', 2, 1, 100.00)$$, :a, :a),
    'the owner reads every account''s report: the same rows');
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'crm.partner_report'::regclass),
    'the report is security_invoker');
SELECT is((SELECT count(*) FROM pg_attribute a
           WHERE a.attrelid = 'crm.partner_report'::regclass AND a.attnum > 0
             AND col_description(a.attrelid, a.attnum) IS NOT NULL), 5::bigint, 'every column of the report has a comment');

SELECT * FROM finish();
ROLLBACK;
