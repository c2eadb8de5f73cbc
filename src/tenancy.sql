-- tenancy.sql: accounts, employees, the current account and employee, roles,
-- the per-transaction account settings.
-- Every function pins its search_path; every table gets row-level security by
-- account from crm._secure_all_tables() in finish.sql.
-- The ranges of times and intervals are CHECK constraints in values.sql.
COMMENT ON TABLE crm.accounts IS 'Tenants and their settings; a role sees only the account named by crm.account_id.';

-- The account settings read by phones, clients, linking and orders are kept
-- per transaction (tenancy.c); this session forgets them when it changes them.
CREATE OR REPLACE FUNCTION crm._phone_settings_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_phone_settings_changed';
REVOKE ALL ON FUNCTION crm._phone_settings_changed() FROM PUBLIC;
CREATE OR REPLACE TRIGGER accounts_20_phone_settings AFTER UPDATE ON crm.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION crm._phone_settings_changed();

GRANT SELECT ON crm.accounts, crm.employees TO crm_reader;
GRANT UPDATE (name, default_region, timezone, client_link_mode, order_link_mode, order_won_status_id,
              no_answer_first_retry, no_answer_next_retry, invoice_number_template, order_number_template)
    ON crm.accounts TO crm_admin;
GRANT INSERT, UPDATE, DELETE ON crm.employees TO crm_admin;
