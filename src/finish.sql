-- finish.sql: runs last.  Row-level security, the account policy and the pg_dump
-- mark for every table, whichever file created it.  (Each function's REVOKE from
-- PUBLIC and its GRANTs stand beside its CREATE, so an update grants the same.)

CREATE OR REPLACE FUNCTION crm._account_guard() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_account_guard';
REVOKE ALL ON FUNCTION crm._account_guard() FROM PUBLIC;

CREATE OR REPLACE FUNCTION crm._secure_all_tables() RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_secure_all_tables';
REVOKE ALL ON FUNCTION crm._secure_all_tables() FROM PUBLIC;
SELECT crm._secure_all_tables();
