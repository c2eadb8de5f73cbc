-- orders.sql: orders, their numbers and derived phone (orders.c).  Linking an
-- order to a lead is in linking.sql, the counts of its amount in lead_reports.sql.
-- The ranges of its amount and times are CHECK constraints in values.sql.

GRANT SELECT ON crm.orders TO crm_reader;
GRANT INSERT, UPDATE ON crm.orders TO crm_manager;

-- Number, phone_e164, fixed columns; in auto mode a new order's lead.
CREATE OR REPLACE FUNCTION crm._order_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_before_write';
REVOKE ALL ON FUNCTION crm._order_before_write() FROM PUBLIC;
CREATE OR REPLACE TRIGGER order_10_before_write BEFORE INSERT OR UPDATE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_before_write();
CREATE OR REPLACE TRIGGER order_no_delete BEFORE DELETE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._forbid_delete('Orders keep their numbers; record a correction instead.');
CREATE OR REPLACE TRIGGER order_no_truncate BEFORE TRUNCATE ON crm.orders
    FOR EACH STATEMENT EXECUTE FUNCTION crm._forbid_delete('Orders keep their numbers; record a correction instead.');
