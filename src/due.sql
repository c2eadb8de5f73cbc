-- due.sql: crm.run_due and crm.next_due, the time-based work of every
-- concept (lead deadlines, auto-cancel, autopay charges) run on demand, and
-- crm.due_failures, the due items whose handling failed and that are set aside.
COMMENT ON TABLE crm.due_failures IS
    'Due items whose handling failed: skipped by crm.run_due and the worker, tried again alone from next_attempt_at (backoff doubling from one minute to one day), removed once handled or no longer due.';
COMMENT ON COLUMN crm.due_failures.account_id IS 'The account of the item.';
COMMENT ON COLUMN crm.due_failures.kind IS
    'The kind of due work: lead_overdue (the item is a lead), invoice_auto_cancel or autopay_charge (an invoice).';
COMMENT ON COLUMN crm.due_failures.item_id IS 'The id of the lead or invoice in the account.';
COMMENT ON COLUMN crm.due_failures.sqlstate IS 'The SQLSTATE of the latest failure.';
COMMENT ON COLUMN crm.due_failures.message IS 'The error message of the latest failure.';
COMMENT ON COLUMN crm.due_failures.first_seen IS 'When the item first failed (the now of that run).';
COMMENT ON COLUMN crm.due_failures.last_seen IS 'When the item last failed (the now of that run).';
COMMENT ON COLUMN crm.due_failures.attempts IS 'How many times the item has failed.';
COMMENT ON COLUMN crm.due_failures.next_attempt_at IS
    'When the item is tried again: last_seen plus one minute, doubled with each attempt up to a day.';
GRANT SELECT ON crm.due_failures TO crm_admin;

CREATE OR REPLACE FUNCTION crm.run_due(now timestamptz DEFAULT now(), max_items integer DEFAULT 10000)
    RETURNS TABLE (kind text, handled bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_run_due';
REVOKE ALL ON FUNCTION crm.run_due(timestamp with time zone,integer) FROM PUBLIC;
COMMENT ON FUNCTION crm.run_due(timestamptz, integer) IS
    'Does all time-based work due at now (overdue leads, auto-cancel, autopay charges), at most max_items of each kind, of the caller''s account (every account for the owner, and for crm_service without an account); returns what it did per kind.';
GRANT EXECUTE ON FUNCTION crm.run_due(timestamptz, integer) TO crm_admin;

CREATE OR REPLACE FUNCTION crm._run_due(account bigint, now timestamptz, max_items integer)
    RETURNS TABLE (kind text, handled bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_run_due';
REVOKE ALL ON FUNCTION crm._run_due(bigint, timestamptz, integer) FROM PUBLIC;
COMMENT ON FUNCTION crm._run_due(bigint, timestamptz, integer) IS
    'The run of crm.run_due for one account on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the caller''s): returns what crm.run_due returns. Call crm.run_due() instead.';
GRANT EXECUTE ON FUNCTION crm._run_due(bigint, timestamptz, integer) TO crm_admin;

CREATE OR REPLACE FUNCTION crm.next_due() RETURNS timestamptz
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_next_due_sql';
REVOKE ALL ON FUNCTION crm.next_due() FROM PUBLIC;
COMMENT ON FUNCTION crm.next_due() IS
    'The earliest instant at which crm.run_due() will have something to do for the caller (its account; every account for the owner); NULL when nothing is pending.';
GRANT EXECUTE ON FUNCTION crm.next_due() TO crm_admin;
