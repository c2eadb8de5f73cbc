-- clients.sql: clients and their phones.
COMMENT ON TABLE crm.clients IS
    E'@foreignKey (category) references crm.client_categories (value)\n'
    'The account''s contacts: people and companies who ask, order and pay. Customer data: hidden from an employee without can_see_customers.';
COMMENT ON COLUMN crm.clients.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.clients.id IS 'The client''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.clients.name IS 'The client''s name.';
COMMENT ON COLUMN crm.clients.email IS 'The client''s email: where call emails from templates go; NULL: none.';
COMMENT ON COLUMN crm.clients.category IS
    'The client''s category: client (default), spam, employee, model, sleeping or not_client; spam and not_client close its call tasks and keep it out of the call queue.';
COMMENT ON COLUMN crm.clients.responsible_id IS
    'The employee responsible for the client; when NULL, crm sets it to the first employee who writes to the client.';
COMMENT ON COLUMN crm.clients.note IS 'A note on the client, shown on each of its invoices (crm.invoice_card).';
COMMENT ON COLUMN crm.clients.tags IS 'Free labels (default empty).';
COMMENT ON COLUMN crm.clients.budget IS 'The client''s budget, a number of at least 0; NULL: unknown.';
COMMENT ON COLUMN crm.clients.birthday IS 'The client''s birthday, from 1900-01-01 to 9999-12-31; NULL: unknown.';
COMMENT ON COLUMN crm.clients.city IS 'The client''s city.';
COMMENT ON COLUMN crm.clients.address IS 'The client''s address (crm.invoice_card shows it).';
COMMENT ON COLUMN crm.clients.ip IS 'The client''s IP address, as the application records it; NULL: unknown.';
COMMENT ON COLUMN crm.clients.attrs IS
    'Further attributes, a JSON object (default {}); templates read them as {$attrs.KEY}.';
COMMENT ON COLUMN crm.clients.created_at IS 'When the client was added (default: the transaction time).';
COMMENT ON COLUMN crm.clients.contact_flagged IS E'@omit create,update\n'
    'Set by crm when a call ends wrong_contact: the contact details are wrong (default false).';
COMMENT ON COLUMN crm.clients.timezone IS
    'The client''s time zone, a name from pg_timezone_names (else 22023); NULL: the zone of its first phone''s country when that country has only one, else the account''s (crm.invoice_card, crm.chat_list).';

COMMENT ON TABLE crm.client_phones IS
    'The phones of each client, as typed and in E.164; customer data. Leads and orders match clients by them.';
COMMENT ON COLUMN crm.client_phones.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.client_phones.id IS 'The phone''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.client_phones.client_id IS 'The client the phone belongs to; deleting the client deletes its phones.';
COMMENT ON COLUMN crm.client_phones.raw IS 'The phone as typed (a phone written alone is taken as raw).';
COMMENT ON COLUMN crm.client_phones.phone IS E'@omit create,update\n'
    'Set by crm: the E.164 form of raw in the account''s default_region; a number that is not valid is refused (22023).';
COMMENT ON COLUMN crm.client_phones.created_at IS 'When the phone was added (default: the transaction time).';

-- client_phones.phone is the E.164 form of raw in the account's region.
CREATE OR REPLACE FUNCTION crm._client_phone_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_client_phone_before_write';
REVOKE ALL ON FUNCTION crm._client_phone_before_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._client_phone_before_write() IS
    'Trigger client_phones_10_phone: phone is the E.164 form of raw; a number that is not valid is refused.';
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
    'Whether the acting employee may see customer data (its can_see_customers; false for an id that names no employee); true with no employee.';
CREATE OR REPLACE FUNCTION crm._customer_right_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_customer_right_changed';
REVOKE ALL ON FUNCTION crm._customer_right_changed() FROM PUBLIC;
COMMENT ON FUNCTION crm._customer_right_changed() IS
    'Trigger employees_20_customer_right: every backend asks crm.can_see_customers() again after a change of crm.employees.';
CREATE OR REPLACE TRIGGER employees_20_customer_right AFTER INSERT OR UPDATE OR DELETE ON crm.employees
    FOR EACH STATEMENT EXECUTE FUNCTION crm._customer_right_changed();
CREATE OR REPLACE TRIGGER employees_20_customer_right_truncate AFTER TRUNCATE ON crm.employees
    FOR EACH STATEMENT EXECUTE FUNCTION crm._customer_right_changed();

-- The policies customers_visible of crm.clients, crm.client_phones and the
-- other tables that hold customer data are made in customers.sql.

-- A client's addresses on the channels (crm.receive_message finds the client by them).
COMMENT ON TABLE crm.client_channels IS
    'A client''s address on each channel (a messenger user name or id, a phone on WhatsApp), as the channel gives it; unique per account and channel.';
COMMENT ON COLUMN crm.client_channels.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.client_channels.id IS 'The address''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.client_channels.client_id IS 'The client the address belongs to.';
COMMENT ON COLUMN crm.client_channels.channel IS 'The channel, as crm.receive_message was given it (free text, e.g. telegram).';
COMMENT ON COLUMN crm.client_channels.address IS 'The sender''s address on that channel (a user name or id); unique per account and channel. Customer data.';
COMMENT ON COLUMN crm.client_channels.created_at IS 'When the address was recorded.';
GRANT SELECT ON crm.client_channels TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.client_channels TO crm_manager;

GRANT SELECT ON crm.clients, crm.client_phones TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.client_phones TO crm_manager;
GRANT DELETE ON crm.clients TO crm_manager;
-- crm_manager writes the columns of crm.clients but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.clients FROM crm_manager;
GRANT INSERT (account_id, id, name, email, category, responsible_id, note, tags, budget,
    birthday, city, address, ip, attrs, created_at, timezone), UPDATE (account_id, id, name, email,
    category, responsible_id, note, tags, budget, birthday, city, address, ip, attrs,
    created_at, timezone) ON crm.clients TO crm_manager;
GRANT EXECUTE ON FUNCTION crm.can_see_customers() TO crm_reader;
