-- setup.sql: the crm roles, the schema grant, and the functions that the tables'
-- defaults and CHECKs call (the current account, the timezone and number template
-- checks): first in an install, before the tables, and in every update.

CREATE OR REPLACE FUNCTION crm._ensure_roles() RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_ensure_roles';
REVOKE ALL ON FUNCTION crm._ensure_roles() FROM PUBLIC;
COMMENT ON FUNCTION crm._ensure_roles() IS
    'Install helper: creates the group roles crm_reader, crm_manager, crm_admin, crm_service and crm_delivery when missing, and nests admin > manager > reader.';
SELECT crm._ensure_roles();

GRANT USAGE ON SCHEMA crm TO crm_reader;

CREATE OR REPLACE FUNCTION crm.current_account() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_current_account';
REVOKE ALL ON FUNCTION crm.current_account() FROM PUBLIC;
COMMENT ON FUNCTION crm.current_account() IS
    'The acting account: a bound login''s binding, else crm.account_id; raises 42501 when there is none. The default of every account_id.';

-- No SET clause: policies call this per row, and it reads only a setting.
CREATE OR REPLACE FUNCTION crm.session_account() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE LEAKPROOF
    AS 'MODULE_PATHNAME', 'crm_session_account';
REVOKE ALL ON FUNCTION crm.session_account() FROM PUBLIC;
COMMENT ON FUNCTION crm.session_account() IS
    'The acting account as crm.current_account() gives it, or NULL when there is none: the row-level security policies compare account_id with it.';

CREATE OR REPLACE FUNCTION crm.current_employee() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE LEAKPROOF
    AS 'MODULE_PATHNAME', 'crm_current_employee';
REVOKE ALL ON FUNCTION crm.current_employee() FROM PUBLIC;
COMMENT ON FUNCTION crm.current_employee() IS
    'The acting employee: a bound login''s binding, else crm.employee_id; NULL when there is none.';

-- The arguments of timezone_ok and number_template_ok were unnamed in 0.1.0;
-- CREATE OR REPLACE may name an unnamed argument, so an update needs no DROP
-- (and the CHECK constraints that call them stay).
CREATE OR REPLACE FUNCTION crm.timezone_ok(timezone text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_timezone_ok';
REVOKE ALL ON FUNCTION crm.timezone_ok(text) FROM PUBLIC;
COMMENT ON FUNCTION crm.timezone_ok(text) IS
    'Checks a time zone name (one of pg_timezone_names); raises 22023 for a name PostgreSQL does not know. The CHECK of crm.accounts.timezone and crm.clients.timezone.';

-- Numbering's check of a template (numbering.c); here, because the CHECKs of
-- crm.accounts below need it and numbering.sql needs crm.accounts.
CREATE OR REPLACE FUNCTION crm.number_template_ok(template text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_number_template_ok';
REVOKE ALL ON FUNCTION crm.number_template_ok(text) FROM PUBLIC;
COMMENT ON FUNCTION crm.number_template_ok(text) IS
    'Checks a number template ({N} or {N:width} exactly once, optionally {YYYY} and {MM}); raises 22023 naming a bad placeholder. The CHECK of every number template column.';

GRANT EXECUTE ON FUNCTION crm.current_account(), crm.session_account(), crm.current_employee(),
                          crm.timezone_ok(text), crm.number_template_ok(text) TO crm_reader;
