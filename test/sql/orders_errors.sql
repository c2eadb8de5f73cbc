-- Orders: the errors of a number given from outside (a web shop's) that is empty, that
-- the account's order_number_template could make one day, or that another order of the
-- account has; of an order status that is not known; and that a refused order changes
-- nothing.  Numbers and statuses that are kept are shown at the end.
-- Each failing statement is followed by its SQLSTATE; account 9411 and its fixed ids
-- keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name, order_number_template) VALUES (9411, 'Orders A', 'ORD-{YYYY}-{N:4}');
INSERT INTO crm.clients (account_id, id, name) VALUES (9411, 9411, 'Ivan');
-- ORD-2026-0001 numbered by crm (created in 2026), W-1001 numbered by the web shop.
INSERT INTO crm.orders (account_id, id, client_id, created_at) VALUES (9411, 9411, 9411, '2026-03-01 10:00:00+00');
INSERT INTO crm.orders (account_id, id, client_id, number, status) VALUES (9411, 9412, 9411, 'W-1001', 'paid');

SET crm.account_id = 9411;
SET ROLE crm_regress_manager;
-- A number given from outside: not empty, not one the template could make in any year
-- (crm would make it one day, and the two would clash), not taken.
INSERT INTO crm.orders (client_id, number) VALUES (9411, ' '); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (client_id, number) VALUES (9411, 'ORD-2019-0042'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (client_id, number) VALUES (9411, 'ORD-2026-12345'); \echo SQLSTATE :SQLSTATE
INSERT INTO crm.orders (client_id, number) VALUES (9411, 'W-1001'); \echo SQLSTATE :SQLSTATE
-- The clash names its constraint in the error's field too (on one server; Citus passes
-- only the SQLSTATE, message, detail, hint and context of a worker's error on).
DO $$ DECLARE c text; BEGIN
  INSERT INTO crm.orders (client_id, number) VALUES (9411, 'W-1001');
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
  RAISE WARNING 'constraint: %', c;
END $$;
INSERT INTO crm.orders (client_id, number) VALUES (9411, 'ORD-2026-0001'); \echo SQLSTATE :SQLSTATE
-- Numbers crm never makes are a web shop's to give: too short a counter, a zero
-- before a longer one, a counter of zero, another prefix.
INSERT INTO crm.orders (client_id, number) VALUES (9411, 'ORD-2026-42'), (9411, 'ORD-2026-01234'),
  (9411, 'ORD-2026-0000'), (9411, 'ord-2026-0042') RETURNING number, number_sequence_id, status;
-- An order is new, paid, cancelled or failed.
INSERT INTO crm.orders (client_id, status) VALUES (9411, 'lost'); \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET status = 'refunded' WHERE id = 9412; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET status = NULL WHERE id = 9412; \echo SQLSTATE :SQLSTATE
-- The number stays.
UPDATE crm.orders SET number = 'W-1002' WHERE id = 9412; \echo SQLSTATE :SQLSTATE
UPDATE crm.orders SET status = 'failed' WHERE id = 9412 RETURNING number, status;
RESET ROLE;

-- Only the orders above were written; crm's next number follows its own.
SET crm.account_id = 9411;
INSERT INTO crm.orders (client_id, created_at) VALUES (9411, '2026-03-02 10:00:00+00') RETURNING number;
RESET crm.account_id;
SELECT number, number_sequence_id IS NOT NULL AS counted, number_seq, status
FROM crm.orders WHERE account_id = 9411 ORDER BY number;
SELECT kind, number, status, failed FROM crm.client_orders WHERE account_id = 9411 ORDER BY number;
