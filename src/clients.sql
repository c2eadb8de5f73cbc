-- clients.sql: clients and their phones.

-- client_phones.phone is the E.164 form of raw in the account's region.
CREATE OR REPLACE FUNCTION crm._client_phone_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_client_phone_before_write';
REVOKE ALL ON FUNCTION crm._client_phone_before_write() FROM PUBLIC;
CREATE OR REPLACE TRIGGER client_phones_10_phone BEFORE INSERT OR UPDATE ON crm.client_phones
    FOR EACH ROW EXECUTE FUNCTION crm._client_phone_before_write();

-- The right to see customers: an employee (crm.employee_id) without
-- can_see_customers sees no client, no phone and no other customer data
-- (customers.sql).  With no employee set, readers read through their grants.
-- Cached per backend, asked again when crm.employees changes.  No SET clause:
-- policies call it, and its one internal query names every object in full.
CREATE OR REPLACE FUNCTION crm.can_see_customers() RETURNS boolean
    LANGUAGE c STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'crm_can_see_customers_sql';
REVOKE ALL ON FUNCTION crm.can_see_customers() FROM PUBLIC;
COMMENT ON FUNCTION crm.can_see_customers() IS
    'Whether the employee named by crm.employee_id may see clients (true with no employee set).';
CREATE OR REPLACE FUNCTION crm._customer_right_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_customer_right_changed';
REVOKE ALL ON FUNCTION crm._customer_right_changed() FROM PUBLIC;
CREATE OR REPLACE TRIGGER employees_20_customer_right AFTER INSERT OR UPDATE OR DELETE ON crm.employees
    FOR EACH STATEMENT EXECUTE FUNCTION crm._customer_right_changed();
CREATE OR REPLACE TRIGGER employees_20_customer_right_truncate AFTER TRUNCATE ON crm.employees
    FOR EACH STATEMENT EXECUTE FUNCTION crm._customer_right_changed();

-- The policies customers_visible of crm.clients, crm.client_phones and the
-- other tables that hold customer data are made in customers.sql.

-- A client's addresses on the channels (crm.receive_message finds the client by them).
COMMENT ON TABLE crm.client_channels IS
    'A client''s address on each channel (a messenger user name or id, a phone on WhatsApp), as the channel gives it; unique per account and channel.';
GRANT SELECT ON crm.client_channels TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.client_channels TO crm_manager;

GRANT SELECT ON crm.clients, crm.client_phones TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.clients, crm.client_phones TO crm_manager;
GRANT EXECUTE ON FUNCTION crm.can_see_customers() TO crm_reader;
