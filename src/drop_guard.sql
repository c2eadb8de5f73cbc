-- drop_guard.sql: DROP EXTENSION keeps the data (drop_guard.c).  The event
-- trigger is a member of the extension: created again by every update.

CREATE OR REPLACE FUNCTION crm._keep_data() RETURNS event_trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_keep_data';
REVOKE ALL ON FUNCTION crm._keep_data() FROM PUBLIC;
COMMENT ON FUNCTION crm._keep_data() IS
    'Event trigger: refuses (2BP01) DROP EXTENSION crm, DROP SCHEMA crm CASCADE and DROP OWNED BY its owner while crm''s tables hold rows, unless crm.allow_drop_with_data is on.';

DROP EVENT TRIGGER IF EXISTS crm_keep_data;
CREATE EVENT TRIGGER crm_keep_data ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION crm._keep_data();
-- Also with session_replication_role = replica.
ALTER EVENT TRIGGER crm_keep_data ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER crm_keep_data IS
    'DROP EXTENSION keeps the data: a command that would drop crm while its tables hold rows is refused, saying how many; a superuser forces it with SET crm.allow_drop_with_data = on.';
