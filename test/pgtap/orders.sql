-- Orders and invoices from outside (article 000: "All the orders and their status can be
-- seen in the client card ... on the Orders tab you see the client's orders.  Failed
-- orders are highlighted in red.").  A web shop writes its orders with its own numbers
-- and statuses: the numbers are kept, unique per account; an order without one is
-- numbered from the template; crm.client_orders flags failed orders and failed invoices.
BEGIN;
SELECT plan(29);

SELECT crm_test.company('Shop A') AS a \gset
SELECT crm_test.company('Shop B') AS b \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Ivan') RETURNING id AS ivan \gset

-- ---- the web shop's orders keep their numbers ----
INSERT INTO crm.orders (client_id, number, amount, status) VALUES (:ivan, 'SHOP-1001', 1500, 'paid') RETURNING id AS o1 \gset
SELECT is((SELECT number FROM crm.orders WHERE id = :o1), 'SHOP-1001', 'an order written with a number keeps it');
SELECT is((SELECT number_sequence_id FROM crm.orders WHERE id = :o1), NULL, 'outside crm''s counters');
SELECT is((SELECT status FROM crm.orders WHERE id = :o1), 'paid', 'and the status the shop gives');
INSERT INTO crm.orders (client_id, amount) VALUES (:ivan, 700) RETURNING id AS o2, number AS o2_number, status AS o2_status \gset
SELECT is(:'o2_number'::text, 'ORD-000001', 'an order without a number is numbered from the template, as before');
SELECT is(:'o2_status'::text, 'new', 'a new order is "new"');
INSERT INTO crm.orders (client_id, amount) VALUES (:ivan, 700) RETURNING number AS o3_number \gset
SELECT is(:'o3_number'::text, 'ORD-000002', 'the shop''s numbers do not take crm''s');

-- A clash: 23505, with crm's message and the constraint's name.
SELECT throws_ok(format($$INSERT INTO crm.orders (client_id, number) VALUES (%s, 'SHOP-1001')$$, :ivan), '23505',
    'order number "SHOP-1001" is already taken', 'a number given twice in an account is refused');
-- The constraint's name as it reaches an application through a Citus coordinator too:
-- in the error's detail (Citus re-raises a worker's error without its CONSTRAINT_NAME
-- field; test/sql/orders_errors.sql pins the field on one server).
CREATE FUNCTION pg_temp.constraint_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE statement;
  RETURN NULL;
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN substring(d FROM '\(constraint ([a-z_]+)\)');
END $$;
SELECT is(pg_temp.constraint_of(format($$INSERT INTO crm.orders (client_id, number) VALUES (%s, 'SHOP-1001')$$, :ivan)),
    'orders_account_id_number_key', 'the error names the unique constraint, as PostgreSQL''s would');
SELECT throws_ok(format($$INSERT INTO crm.orders (client_id, number) VALUES (%s, 'ORD-000003')$$, :ivan), '22023',
    'order number "ORD-000003" has the form of the numbers crm makes', 'a number crm would make one day is refused');
SELECT throws_ok(format($$INSERT INTO crm.orders (client_id, number) VALUES (%s, '')$$, :ivan), '22023',
    'order number must not be empty', 'an empty number is refused');
SELECT throws_ok(format($$UPDATE crm.orders SET number = 'SHOP-1002' WHERE id = %s$$, :o1), '55000', NULL, 'a number stays');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :b, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Olga') RETURNING id AS olga \gset
SELECT lives_ok(format($$INSERT INTO crm.orders (client_id, number) VALUES (%s, 'SHOP-1001')$$, :olga),
    'another account has its own numbers');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- ---- statuses: new, paid, cancelled, failed ----
INSERT INTO crm.orders (client_id, number, amount) VALUES (:ivan, 'SHOP-1002', 900) RETURNING id AS o4 \gset
SELECT lives_ok(format($$UPDATE crm.orders SET status = 'failed' WHERE id = %s$$, :o4), 'the shop reports a failed payment');
SELECT throws_ok(format($$UPDATE crm.orders SET status = 'lost' WHERE id = %s$$, :o4), '22023',
    'status "lost" is not one of its choices', 'a status crm does not know is refused');
SELECT throws_ok(format($$INSERT INTO crm.orders (client_id, status) VALUES (%s, 'refunded')$$, :ivan), '22023', NULL,
    'on insert too');
SELECT is((SELECT conname FROM pg_constraint WHERE conrelid = 'crm.orders'::regclass AND conname = 'orders_status_check'),
    'orders_status_check', 'the statuses are a named CHECK');
INSERT INTO crm.orders (client_id, number, amount, status) VALUES (:ivan, 'SHOP-1003', 300, 'cancelled');

-- ---- invoices from outside keep their numbers too ----
INSERT INTO crm.invoices (client_id, number, amount) VALUES (:ivan, 'SHOP-INV-77', 1500) RETURNING id AS i1 \gset
SELECT is((SELECT number || ' ' || coalesce(number_sequence_id::text, 'none') FROM crm.invoices WHERE id = :i1), 'SHOP-INV-77 none',
    'an invoice written with a number keeps it');
INSERT INTO crm.invoices (client_id, amount) VALUES (:ivan, 500) RETURNING id AS i2, number AS i2_number \gset
SELECT is(:'i2_number'::text, 'INV-000001', 'an invoice without one is numbered from the template');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, number) VALUES (%s, 'SHOP-INV-77')$$, :ivan), '23505',
    'invoice number "SHOP-INV-77" is already taken', 'an invoice number given twice is refused');
SELECT is(pg_temp.constraint_of(format($$INSERT INTO crm.invoices (client_id, number) VALUES (%s, 'SHOP-INV-77')$$, :ivan)),
    'invoices_account_id_number_key', 'naming the constraint');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, number) VALUES (%s, 'INV-000002')$$, :ivan), '22023',
    'invoice number "INV-000002" has the form of the numbers crm makes', 'an invoice number crm would make is refused');
SELECT is((SELECT number FROM crm.invoice_card WHERE id = :i1), 'SHOP-INV-77', 'the card shows the shop''s number');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 500, false, failure_reason => 'card declined')$$, :i2),
    'a payment of the crm-numbered invoice fails');

-- ---- the client card: every order and invoice, failed ones flagged ----
SELECT results_eq(format($$SELECT kind, number, status, amount, failed FROM crm.client_orders WHERE client_id = %s
                           ORDER BY kind, number$$, :ivan),
    $$VALUES ('invoice'::text, 'INV-000001'::text, 'awaiting'::text, 500.00::numeric, true),
             ('invoice', 'SHOP-INV-77', 'awaiting', 1500.00, false),
             ('order', 'ORD-000001', 'new', 700.00, false),
             ('order', 'ORD-000002', 'new', 700.00, false),
             ('order', 'SHOP-1001', 'paid', 1500.00, false),
             ('order', 'SHOP-1002', 'failed', 900.00, true),
             ('order', 'SHOP-1003', 'cancelled', 300.00, false)$$,
    'the Orders tab: the client''s orders and invoices with their status; failed orders and failed invoices are flagged');
SELECT lives_ok(format($$UPDATE crm.orders SET status = 'paid' WHERE id = %s$$, :o4), 'the client pays after all');
SELECT is((SELECT failed FROM crm.client_orders WHERE kind = 'order' AND id = :o4), false, 'the order is no longer flagged');
RESET ROLE;

-- ---- many orders from outside in one statement, numbered and not ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
-- one multi-row VALUES (Citus makes a crm role's INSERT ... SELECT a COPY, which RLS refuses)
SELECT string_agg(format('(%s, %L, %s)', :ivan, CASE WHEN g % 2 = 0 THEN 'BULK-' || g END, g), ', ') AS bulk
  FROM generate_series(1, 200) g \gset
INSERT INTO crm.orders (client_id, number, amount) VALUES :bulk;
SELECT is((SELECT count(*) FROM crm.orders WHERE number LIKE 'BULK-%'), 100::bigint, 'a bulk load keeps the numbers it gives');
SELECT is((SELECT max(number) FROM crm.orders WHERE number LIKE 'ORD-%'), 'ORD-000102', 'and numbers the others on from crm''s own');
SELECT is((SELECT count(*) FROM crm.orders WHERE number_sequence_id IS NOT NULL), 102::bigint, 'crm''s counter counts only its own');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
