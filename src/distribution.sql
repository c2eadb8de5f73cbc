-- distribution.sql: crm on Citus (distribution.c).  crm.distribute() lays crm's tables
-- out over a Citus cluster: by account, colocated with crm.accounts (crm.login_bindings
-- a reference table); every worker takes its ids from a range of its own.

CREATE OR REPLACE FUNCTION crm.distribute() RETURNS text
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_distribute';
REVOKE ALL ON FUNCTION crm.distribute() FROM PUBLIC;
COMMENT ON FUNCTION crm.distribute() IS
    'On the Citus coordinator, as the owner of schema crm: distributes every crm table by account (crm.accounts by id, the others by account_id, colocated; crm.login_bindings as a reference table) and gives every worker its own id range (node group g counts from g * 2^48 + 1), past the ids already in the tables in that range (rows restored from a dump); idempotent: call it again after adding a worker (its id range, its copy of crm.login_bindings) and after restoring a dump through the coordinator. Refuses without Citus (0A000). Returns what it did.';

CREATE OR REPLACE FUNCTION crm._node_id_ranges() RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_node_id_ranges';
REVOKE ALL ON FUNCTION crm._node_id_ranges() FROM PUBLIC;
COMMENT ON FUNCTION crm._node_id_ranges() IS
    'Run on every Citus worker by crm.distribute(): moves the node''s crm sequences that are below its range (node group g counts from g * 2^48 + 1) into it; returns how many moved.';

CREATE OR REPLACE FUNCTION crm._node_ids_past(sequences text[], floors bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_node_ids_past';
REVOKE ALL ON FUNCTION crm._node_ids_past(text[], bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION crm._node_ids_past(text[], bigint[]) IS
    'Run on every Citus worker by crm.distribute(): moves each of the node''s crm sequences past the id paired with it (floors) when that id lies in the node''s range (rows restored or loaded with ids drawn on another cluster''s nodes); returns how many moved.';
