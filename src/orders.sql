-- orders.sql: orders, their numbers and derived phone (orders.c).  Linking an
-- order to a lead is in linking.sql, the counts of its amount in lead_reports.sql.
-- The ranges of its amount and times are checked by its trigger of value_checks.sql.
COMMENT ON TABLE crm.orders IS
    E'@foreignKey (status) references crm.order_statuses (value)\n'
    'Orders, numbered by the writer (a web shop) or from the account''s order_number_template and matched to open leads by phone; never deleted. Customer data.';
COMMENT ON COLUMN crm.orders.account_id IS 'The account the row belongs to (default crm.current_account()); fixed.';
COMMENT ON COLUMN crm.orders.id IS 'The order''s id (an identity; the key is (account_id, id)); fixed.';
COMMENT ON COLUMN crm.orders.number IS
    'The number the writer gives (a web shop''s: kept, unique per account, never of the form of the template''s numbers), or else set by crm from the account''s order_number_template (gapless); fixed.';
COMMENT ON COLUMN crm.orders.number_sequence_id IS E'@omit create,update\n'
    'Set by crm: the crm.number_sequences counter the number was drawn from (NULL for a number given); fixed.';
COMMENT ON COLUMN crm.orders.number_seq IS E'@omit create,update\n'
    'Set by crm: the counter''s value in the number (NULL for a number given); fixed.';
COMMENT ON COLUMN crm.orders.client_id IS 'The client who ordered; NULL: unknown (linking a lead gives it the lead''s client).';
COMMENT ON COLUMN crm.orders.phone IS 'The phone the order came with, as typed.';
COMMENT ON COLUMN crm.orders.phone_e164 IS E'@omit create,update\n'
    'Set by crm: the E.164 form of phone in the account''s default_region; NULL when it is not a valid number.';
COMMENT ON COLUMN crm.orders.lead_id IS
    'The lead the order is linked to: written once (by hand, or by crm in auto mode) it links as crm.link_order does; NULL: none.';
COMMENT ON COLUMN crm.orders.amount IS
    'The order''s amount, a number of at least 0 (default 0); a won lead''s revenue in crm.campaign_report.';
COMMENT ON COLUMN crm.orders.created_at IS
    'When the order was created (default: the transaction time); the {YYYY} and {MM} of its number come from it; fixed.';
COMMENT ON COLUMN crm.orders.status IS
    'The order''s status as the web shop reports it: new (default), paid, cancelled or failed; crm.client_orders flags failed orders.';

GRANT SELECT ON crm.orders TO crm_reader;
-- crm_manager writes the columns of crm.orders but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.orders FROM crm_manager;
GRANT INSERT (account_id, id, number, client_id, phone, phone_e164, lead_id, amount, created_at,
    status), UPDATE (account_id, id, number, client_id, phone, phone_e164, lead_id, amount,
    created_at, status) ON crm.orders TO crm_manager;
-- crm.import_run (crm_admin) writes the counters of the numbers of the orders it imports.
GRANT INSERT (number_sequence_id, number_seq) ON crm.orders TO crm_admin;

-- Number, phone_e164, fixed columns; in auto mode a new order's lead.
CREATE OR REPLACE FUNCTION crm._order_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_before_write';
REVOKE ALL ON FUNCTION crm._order_before_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._order_before_write() IS
    'Trigger order_10_before_write: the number (given or made), the fixed columns, phone_e164, and in auto mode the lead of a new order.';
CREATE OR REPLACE TRIGGER order_10_before_write BEFORE INSERT OR UPDATE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_before_write();
CREATE OR REPLACE TRIGGER order_no_delete BEFORE DELETE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._forbid_delete('Orders keep their numbers; record a correction instead.');
CREATE OR REPLACE TRIGGER order_no_truncate BEFORE TRUNCATE ON crm.orders
    FOR EACH STATEMENT EXECUTE FUNCTION crm._forbid_delete('Orders keep their numbers; record a correction instead.');
