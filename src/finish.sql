-- finish.sql: runs last.  Row-level security, the account policy and the pg_dump
-- mark for every table, whichever file created it.  (Each function's REVOKE from
-- PUBLIC and its GRANTs stand beside its CREATE, so an update grants the same.)

-- Fired for every row written, so without a SET clause (a configuration save and restore
-- per row): its one query (identity's binding lookup) names every object and operator with
-- its schema.
CREATE OR REPLACE FUNCTION crm._account_guard() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_account_guard';
REVOKE ALL ON FUNCTION crm._account_guard() FROM PUBLIC;
COMMENT ON FUNCTION crm._account_guard() IS
    'Trigger _account_guard of every table with account_id: refuses, for a role under row-level security, a row of an account other than the session''s (42501).';

CREATE OR REPLACE FUNCTION crm._secure_all_tables() RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_secure_all_tables';
REVOKE ALL ON FUNCTION crm._secure_all_tables() FROM PUBLIC;
COMMENT ON FUNCTION crm._secure_all_tables() IS
    'Install helper: row-level security, the policy account_isolation, the trigger _account_guard and a pg_dump mark for every table of schema crm, and a pg_dump mark for every sequence.';
SELECT crm._secure_all_tables();
