-- history.sql: the guards of numbered rows and of history (history.c); each
-- concept attaches them to its own tables.

-- No DELETE or TRUNCATE of numbered rows; the trigger's argument is the hint.
CREATE OR REPLACE FUNCTION crm._forbid_delete() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_forbid_delete';
REVOKE ALL ON FUNCTION crm._forbid_delete() FROM PUBLIC;
COMMENT ON FUNCTION crm._forbid_delete() IS
    'Trigger: refuses DELETE and TRUNCATE of numbered rows (42501); the trigger''s argument is the hint.';
-- No UPDATE, DELETE or TRUNCATE of an event or fact table, from any role.
CREATE OR REPLACE FUNCTION crm._append_only() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_append_only';
REVOKE ALL ON FUNCTION crm._append_only() FROM PUBLIC;
COMMENT ON FUNCTION crm._append_only() IS
    'Trigger: refuses UPDATE, DELETE and TRUNCATE of a history or fact table for every role, the owner included (42501).';

-- A system write's reason and comment on their way to a Citus worker (kit/system_write.c):
-- crm calls it around its own writes there; the note is hex only.
CREATE OR REPLACE FUNCTION crm._write_note(note text) RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_write_note';
REVOKE ALL ON FUNCTION crm._write_note(text) FROM PUBLIC;
COMMENT ON FUNCTION crm._write_note(text) IS
    'Internal (Citus): SET LOCAL crm.write_note, the reason and comment of crm''s next write, hex-encoded, so that Citus propagates it to the worker.';
GRANT EXECUTE ON FUNCTION crm._write_note(text) TO crm_manager;
