-- values.sql: the values crm stores (C: src/values.c, where the rules are
-- written out).  The tables' columns are checked by the triggers <table>_values
-- of value_checks.sql; the helpers here raise crm's own error naming the
-- column, the value and what is allowed (22008 for times and dates, 22023 for
-- amounts and intervals) for the CHECK constraints of the import's staging
-- tables, and for the update from 0.1.0, which checks the rows it finds.

-- The helpers run no query and are called for every row they check: C without
-- a SET clause, which would cost a configuration save and restore per call.
CREATE OR REPLACE FUNCTION crm._time_ok(value timestamptz, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_time_ok';
REVOKE ALL ON FUNCTION crm._time_ok(timestamp with time zone,text) FROM PUBLIC;
COMMENT ON FUNCTION crm._time_ok(timestamptz, text) IS
    'CHECK helper: the time lies from 1900-01-01 00:00:00+00 to 9999-12-31 23:59:59.999999+00, or raises 22008 naming the column.';
CREATE OR REPLACE FUNCTION crm._date_ok(value date, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_date_ok';
REVOKE ALL ON FUNCTION crm._date_ok(date,text) FROM PUBLIC;
COMMENT ON FUNCTION crm._date_ok(date, text) IS
    'CHECK helper: the date lies from 1900-01-01 to 9999-12-31, or raises 22008 naming the column.';
CREATE OR REPLACE FUNCTION crm._amount_ok(value numeric, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_amount_ok';
REVOKE ALL ON FUNCTION crm._amount_ok(numeric,text) FROM PUBLIC;
COMMENT ON FUNCTION crm._amount_ok(numeric, text) IS
    'CHECK helper: a number (not NaN) of at least 0, or raises 22023 naming the column.';
CREATE OR REPLACE FUNCTION crm._positive_amount_ok(value numeric, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_positive_amount_ok';
REVOKE ALL ON FUNCTION crm._positive_amount_ok(numeric,text) FROM PUBLIC;
COMMENT ON FUNCTION crm._positive_amount_ok(numeric, text) IS
    'CHECK helper: a number (not NaN) greater than 0, or raises 22023 naming the column.';
CREATE OR REPLACE FUNCTION crm._forward_interval_ok(value interval, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_forward_interval_ok';
REVOKE ALL ON FUNCTION crm._forward_interval_ok(interval,text) FROM PUBLIC;
COMMENT ON FUNCTION crm._forward_interval_ok(interval, text) IS
    'CHECK helper: months, days and time each >= 0, one > 0, at most 100 years (every time it is added to moves forward), or raises 22023.';

-- An account's modes: the value is one of the column's choices (22023 naming them).
-- Called only when an account is written, so its search_path is pinned.
CREATE OR REPLACE FUNCTION crm._choice_ok(value text, choices text[], name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_choice_ok';
REVOKE ALL ON FUNCTION crm._choice_ok(text,text[],text) FROM PUBLIC;
COMMENT ON FUNCTION crm._choice_ok(text, text[], text) IS
    'CHECK helper: the value is one of choices, or raises 22023 naming the column and its choices.';
GRANT EXECUTE ON FUNCTION crm._choice_ok(text, text[], text) TO crm_reader;

-- Every writer of a crm table is a member of crm_reader (through crm_manager or
-- crm_admin); a CHECK runs its function with the writer's privileges.
GRANT EXECUTE ON FUNCTION crm._time_ok(timestamptz, text), crm._date_ok(date, text),
    crm._amount_ok(numeric, text), crm._positive_amount_ok(numeric, text),
    crm._forward_interval_ok(interval, text) TO crm_reader;
