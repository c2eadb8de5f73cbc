-- finish.sql: runs last.  Row-level security, the account policy and the pg_dump
-- mark for every table, whichever file created it; EXECUTE for the crm roles only.

CREATE OR REPLACE FUNCTION crm._account_guard() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_account_guard';
REVOKE ALL ON FUNCTION crm._account_guard() FROM PUBLIC;

CREATE OR REPLACE FUNCTION crm._secure_all_tables() RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_secure_all_tables';
REVOKE ALL ON FUNCTION crm._secure_all_tables() FROM PUBLIC;
SELECT crm._secure_all_tables();

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA crm FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.current_account(), crm.session_account(), crm.current_employee(),
                          crm.timezone_ok(text), crm.number_template_ok(text) TO crm_reader;
