-- Reissue (article 003): on a call the client agrees to a more expensive package, and
-- the manager makes a new invoice: "Save and create" keeps the old invoice, "Cancel and
-- create" cancels it.  The invoice's table of amount, prepayments, income and expenses
-- "concerns this particular invoice": the new invoice has received nothing, so its income
-- is nothing; income follows the payments (received minus refunded) and expenses are
-- what is entered on each invoice.
BEGIN;
SELECT plan(24);

SELECT crm_test.company('Reissue A') AS a \gset
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.offers (name, price) VALUES ('Training, basic', 100) RETURNING id AS basic \gset
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Ivan') RETURNING id AS ivan \gset

-- The basic package: 40 prepaid, 15 of expenses entered on the invoice.
INSERT INTO crm.invoices (client_id, partner, source) VALUES (:ivan, 'blogger', 'youtube') RETURNING id AS old, number AS old_number \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:old, :basic);
UPDATE crm.invoices SET expenses = 15 WHERE id = :old;
SELECT lives_ok(format('SELECT crm.record_payment(%s, 40, true, %L)', :old, 'prepayment'), 'the client prepays 40');
SELECT is((SELECT amount || ' ' || prepaid || ' ' || income || ' ' || expenses FROM crm.invoice_card WHERE id = :old),
    '100.00 40.00 40.00 15.00', 'the card: amount, prepaid, income (what the payments brought), expenses (entered)');

-- "Cancel and create": a new invoice, the old one cancelled.
SELECT (crm.reissue_invoice(:old, true)).id AS new \gset
SELECT is((SELECT status FROM crm.invoices WHERE id = :old), 'cancelled', 'the old invoice is cancelled');
SELECT is((SELECT replaces_invoice_id FROM crm.invoices WHERE id = :new), :'old'::bigint, 'the new one records the invoice it replaces');
SELECT is((SELECT status FROM crm.invoices WHERE id = :new), 'awaiting', 'the new invoice awaits payment');
SELECT is((SELECT income FROM crm.invoices WHERE id = :new), 0.00::numeric, 'it has received nothing: its income is nothing');
SELECT is((SELECT expenses FROM crm.invoices WHERE id = :new), 0.00::numeric, 'the old invoice''s expenses stay on the old invoice');
SELECT is((SELECT paid_amount + refunded_amount FROM crm.invoices WHERE id = :new), 0.00::numeric, 'nothing paid or refunded');
SELECT is((SELECT prepaid FROM crm.invoice_card WHERE id = :new), 0.00::numeric, 'no prepayment on the card');
SELECT is((SELECT amount || ' ' || client_id || ' ' || partner || ' ' || source FROM crm.invoices WHERE id = :new),
    '100.00 ' || :ivan || ' blogger youtube', 'same client, items, partner and analytics');
SELECT is((SELECT income || ' ' || expenses FROM crm.invoices WHERE id = :old), '40.00 15.00', 'the old invoice keeps its own');
SELECT is((SELECT detail ->> 'comment' FROM crm.invoice_events WHERE invoice_id = :new AND kind = 'created'), 'reissued from ' || :'old_number',
    'the new invoice''s history says where it comes from');
SELECT is((SELECT replaces_invoice_id FROM crm.invoice_card WHERE id = :new), :'old'::bigint, 'and the card shows it');

-- The new invoice's income follows its own payments, less refunds; expenses are entered on it.
SELECT lives_ok(format('SELECT crm.record_payment(%s, 100, true)', :new), 'the new invoice is paid');
SELECT is((SELECT income FROM crm.invoices WHERE id = :new), 100.00::numeric, 'income: what was received');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 30, true, 'refund')$$, :new), 'part of it is refunded');
SELECT is((SELECT income FROM crm.invoices WHERE id = :new), 70.00::numeric, 'income: received minus refunded');
UPDATE crm.invoices SET expenses = 20 WHERE id = :new;
SELECT is((SELECT income || ' ' || expenses FROM crm.invoice_card WHERE id = :new), '70.00 20.00', 'expenses as entered');
SELECT throws_ok(format('UPDATE crm.invoices SET income = 500 WHERE id = %s', :new), '428C9',
    'cannot write column "income" of crm.invoices', 'income is not written by hand');
SELECT throws_ok(format('UPDATE crm.invoices SET replaces_invoice_id = NULL WHERE id = %s', :new), '55000',
    'column "replaces_invoice_id" of an invoice cannot be changed', 'which invoice it replaces stays');

-- "Save and create": a new invoice beside the old one.
INSERT INTO crm.invoices (client_id) VALUES (:ivan) RETURNING id AS kept \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:kept, :basic);
SELECT (crm.reissue_invoice(:kept)).id AS beside \gset
SELECT is((SELECT status FROM crm.invoices WHERE id = :kept), 'awaiting', 'the old invoice stays as it was');
SELECT is((SELECT replaces_invoice_id FROM crm.invoices WHERE id = :beside), :'kept'::bigint, 'the new one names it');
SELECT throws_ok(format('INSERT INTO crm.invoices (client_id, replaces_invoice_id) VALUES (%s, %s)', :ivan, :kept), '428C9',
    'cannot insert a value into column "replaces_invoice_id" of crm.invoices', 'only a reissue says which invoice one replaces');
SELECT throws_ok('SELECT crm.reissue_invoice(999999)', 'P0002', 'invoice 999999 does not exist', 'an unknown invoice');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
