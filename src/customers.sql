-- customers.sql: customer data on every path (customers.c).  An employee
-- without can_see_customers (crm.can_see_customers(), clients.sql) reads no
-- customer data and writes none:
--   rows that are customer data through and through (a client, its phones,
--   what a client asked for or ordered, what was said to it or sent to it):
--   the whole row is hidden, on crm.clients and crm.client_phones (clients.sql)
--   and here on crm.leads, crm.orders, crm.messages, crm.calls, crm.outbox;
--   crm.invoices, which is the money, keeps its rows, but one that records the
--   customer's ip is hidden.
-- The views are security_invoker and follow.  The policies ask the right once
-- per statement (an InitPlan), and read no column but invoices.ip, so index-only
-- scans stay index-only.  Each table also has the trigger _customer_guard, which
-- refuses such an employee's write with a message naming the data, before the
-- table's own triggers act on it.

CREATE FUNCTION crm._customer_guard() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_customer_guard';

CREATE POLICY customers_visible ON crm.leads AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers())) WITH CHECK ((SELECT crm.can_see_customers()));
COMMENT ON POLICY customers_visible ON crm.leads IS
    'Customer data (contact_name, contact_phone, phone, email): hidden with the whole row from employees without can_see_customers.';
CREATE POLICY customers_visible ON crm.orders AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers())) WITH CHECK ((SELECT crm.can_see_customers()));
COMMENT ON POLICY customers_visible ON crm.orders IS
    'Customer data (phone, phone_e164): hidden with the whole row from employees without can_see_customers.';
CREATE POLICY customers_visible ON crm.messages AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers())) WITH CHECK ((SELECT crm.can_see_customers()));
COMMENT ON POLICY customers_visible ON crm.messages IS
    'Customer data (body: what was said to or by a client): hidden with the whole row from employees without can_see_customers.';
CREATE POLICY customers_visible ON crm.calls AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers())) WITH CHECK ((SELECT crm.can_see_customers()));
COMMENT ON POLICY customers_visible ON crm.calls IS
    'Customer data (recording, comment: a conversation with a client): hidden with the whole row from employees without can_see_customers.';
CREATE POLICY customers_visible ON crm.outbox AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers())) WITH CHECK ((SELECT crm.can_see_customers()));
COMMENT ON POLICY customers_visible ON crm.outbox IS
    'Customer data (recipient, cc, subject, body, payload: rendered emails and notices): hidden with the whole row from employees without can_see_customers.';
CREATE POLICY customers_visible ON crm.invoices AS RESTRICTIVE
    USING ((SELECT crm.can_see_customers()) OR ip IS NULL)
    WITH CHECK ((SELECT crm.can_see_customers()) OR ip IS NULL);
COMMENT ON POLICY customers_visible ON crm.invoices IS
    'Customer data (ip, where the order came from): an invoice that records it is hidden from employees without can_see_customers.';

-- Writes: every row of these tables is customer data ...
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.clients
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.client_phones
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.messages
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard();
-- ... and of an invoice, the columns named.  (crm.outbox is written by crm only.)
CREATE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._customer_guard('ip');
