-- customers.sql: customer data on every path (customers.c).  An employee
-- without can_see_customers (crm.can_see_customers(), clients.sql) reads no
-- customer data and writes none.  Each call below names a table's customer
-- columns (the README's table says the same) and creates, for the table:
--   the RESTRICTIVE policy customers_visible: for rows that are customer data
--   through and through (a client, its phones, what a client asked for or
--   ordered, what was said to it or sent to it) the whole row is hidden;
--   crm.invoices, which is the money, keeps its rows, but one that records the
--   customer's ip is hidden.  A whole-row policy is
--   "account_id = crm.customer_data_account()", which the planner checks once
--   per statement beside the account policy; the invoices' is the same
--   equality or "ip IS NULL", per row (no subquery: Citus allows none in a
--   policy).  The views are security_invoker and follow;
--   the trigger _customer_guard, which refuses such an employee's write with a
--   message naming the data, before the table's own triggers act on it.
-- crm's own writes for such an employee that would touch what it cannot see
-- are refused where they are made (a payment or an item on an invoice with an
-- ip: invoices/payments.c, invoices/items.c).

-- Fired for every row written, so without a SET clause (a configuration save and restore
-- per row): its one query (crm.can_see_customers') names every object and operator with
-- its schema.
CREATE OR REPLACE FUNCTION crm._customer_guard() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_customer_guard';
REVOKE ALL ON FUNCTION crm._customer_guard() FROM PUBLIC;
COMMENT ON FUNCTION crm._customer_guard() IS
    'Trigger _customer_guard: refuses a write of customer data by an employee without can_see_customers (42501); the arguments name the columns.';
-- No SET clause: the policies call it, and it runs only crm.can_see_customers()'s query.
CREATE OR REPLACE FUNCTION crm.customer_data_account() RETURNS bigint
    LANGUAGE c STABLE PARALLEL RESTRICTED LEAKPROOF
    AS 'MODULE_PATHNAME', 'crm_customer_data_account';
REVOKE ALL ON FUNCTION crm.customer_data_account() FROM PUBLIC;
COMMENT ON FUNCTION crm.customer_data_account() IS
    'The session''s account when its employee may see customers, else NULL (used by the policies customers_visible).';
GRANT EXECUTE ON FUNCTION crm.customer_data_account() TO crm_reader;
CREATE OR REPLACE FUNCTION crm._hide_customer_data(tab regclass, whole_row boolean, VARIADIC columns name[]) RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_hide_customer_data';
REVOKE ALL ON FUNCTION crm._hide_customer_data(regclass,boolean,name[]) FROM PUBLIC;
COMMENT ON FUNCTION crm._hide_customer_data(regclass,boolean,name[]) IS
    'Install helper: the policy customers_visible (whole rows, or rows with the columns set) and the trigger _customer_guard of a table holding customer data.';

SELECT crm._hide_customer_data('crm.clients', true, 'name', 'email', 'note', 'tags', 'budget', 'birthday',
                               'city', 'address', 'ip', 'attrs');
SELECT crm._hide_customer_data('crm.client_phones', true, 'raw', 'phone');
SELECT crm._hide_customer_data('crm.client_channels', true, 'address');
SELECT crm._hide_customer_data('crm.leads', true, 'contact_name', 'contact_phone', 'phone', 'email');
SELECT crm._hide_customer_data('crm.orders', true, 'phone', 'phone_e164');
SELECT crm._hide_customer_data('crm.messages', true, 'body');
SELECT crm._hide_customer_data('crm.calls', true, 'comment', 'recording');
SELECT crm._hide_customer_data('crm.outbox', true, 'recipient', 'cc', 'subject', 'body', 'payload');
SELECT crm._hide_customer_data('crm.invoices', false, 'ip');
