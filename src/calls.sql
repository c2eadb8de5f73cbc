-- calls.sql: call tasks, calls, retry scheduling, the call queue.  The call
-- centre's columns of crm.invoices (next_call_at ... no_answer_streak) are in
-- invoices/invoices.sql, crm.clients.contact_flagged in clients.sql.

GRANT SELECT ON crm.call_tasks, crm.calls TO crm_reader;
GRANT INSERT, UPDATE ON crm.call_tasks TO crm_manager;
GRANT INSERT ON crm.calls TO crm_manager;
GRANT SELECT ON crm.call_task_events TO crm_reader;

CREATE OR REPLACE TRIGGER calls_00_append_only BEFORE UPDATE OR DELETE ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER calls_00_append_only_truncate BEFORE TRUNCATE ON crm.calls
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER call_task_events_00_append_only BEFORE UPDATE OR DELETE ON crm.call_task_events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER call_task_events_00_append_only_truncate BEFORE TRUNCATE ON crm.call_task_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

CREATE OR REPLACE FUNCTION crm._calls_schedule() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_calls_schedule';
REVOKE ALL ON FUNCTION crm._calls_schedule() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._calls_apply() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_calls_apply';
REVOKE ALL ON FUNCTION crm._calls_apply() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._call_tasks_check() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_call_tasks_check';
REVOKE ALL ON FUNCTION crm._call_tasks_check() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._clients_close_call_tasks() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_clients_close_call_tasks';
REVOKE ALL ON FUNCTION crm._clients_close_call_tasks() FROM PUBLIC;

CREATE OR REPLACE TRIGGER calls_10_schedule BEFORE INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._calls_schedule();
CREATE OR REPLACE TRIGGER calls_90_apply AFTER INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._calls_apply();
CREATE OR REPLACE TRIGGER call_tasks_10_check BEFORE INSERT ON crm.call_tasks
    FOR EACH ROW EXECUTE FUNCTION crm._call_tasks_check();
CREATE OR REPLACE TRIGGER clients_60_close_call_tasks AFTER UPDATE OF category ON crm.clients
    FOR EACH ROW EXECUTE FUNCTION crm._clients_close_call_tasks();

CREATE OR REPLACE FUNCTION crm.log_call(invoice_id bigint DEFAULT NULL, task_id bigint DEFAULT NULL,
                             outcome text DEFAULT NULL, called_at timestamptz DEFAULT NULL,
                             callback_at timestamptz DEFAULT NULL, callback_after interval DEFAULT NULL,
                             comment text DEFAULT NULL, recording text DEFAULT NULL,
                             template_id bigint DEFAULT NULL, copy_to_manager boolean DEFAULT false)
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_log_call';
REVOKE ALL ON FUNCTION crm.log_call(bigint,bigint,text,timestamp with time zone,timestamp with time zone,interval,text,text,bigint,boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION crm.claim_next_call(now timestamptz DEFAULT now(), hold interval DEFAULT '15 minutes',
                                    OUT kind text, OUT id bigint, OUT next_call_at timestamptz)
    RETURNS record LANGUAGE c VOLATILE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_claim_next_call';
REVOKE ALL ON FUNCTION crm.claim_next_call(timestamp with time zone,interval) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION crm.log_call(bigint, bigint, text, timestamptz, timestamptz, interval, text, text, bigint, boolean),
                          crm.claim_next_call(timestamptz, interval) TO crm_manager;

-- Due now, oldest first; items claimed by another operator are left out while the claim holds.
CREATE OR REPLACE VIEW crm.call_queue WITH (security_invoker = true) AS
SELECT q.account_id, q.kind, q.id, q.client_id, c.name AS client,
       (SELECT array_agg(p.phone ORDER BY p.id) FROM crm.client_phones p
         WHERE p.account_id = q.account_id AND p.client_id = q.client_id) AS phones,
       q.amount, q.next_call_at, q.call_attempts,
       (SELECT k.outcome FROM crm.calls k
         WHERE k.account_id = q.account_id
           AND CASE q.kind WHEN 'invoice' THEN k.invoice_id ELSE k.task_id END = q.id
         ORDER BY k.called_at DESC, k.id DESC LIMIT 1) AS last_outcome,
       q.claimed_by, q.claimed_until
FROM (
    SELECT i.account_id, 'invoice'::text AS kind, i.id, i.client_id, i.amount, i.next_call_at,
           i.call_attempts, i.claimed_by, i.claimed_until
    FROM crm.invoices i
    WHERE i.status IN ('awaiting', 'prepaid') AND i.calls_stopped IS NULL AND i.next_call_at <= now()
    UNION ALL
    SELECT t.account_id, 'task', t.id, t.client_id, NULL::numeric(14, 2), t.next_call_at,
           t.call_attempts, t.claimed_by, t.claimed_until
    FROM crm.call_tasks t
    WHERE t.closed_at IS NULL AND t.next_call_at <= now()
) q
JOIN crm.clients c ON c.account_id = q.account_id AND c.id = q.client_id
WHERE c.category NOT IN ('not_client', 'spam')
  AND (q.claimed_until IS NULL OR q.claimed_until <= now()
       OR q.claimed_by IS NOT DISTINCT FROM crm.current_employee())
ORDER BY q.next_call_at, q.kind, q.id;

CREATE OR REPLACE VIEW crm.client_calls WITH (security_invoker = true) AS
SELECT k.account_id, k.id, k.client_id, c.name AS client,
       CASE WHEN k.invoice_id IS NOT NULL THEN 'invoice' ELSE 'task' END AS on_kind,
       k.invoice_id, i.number AS invoice_number, k.task_id, t.title AS task_title,
       k.called_at, k.outcome, k.employee_id, e.name AS employee, k.callback_at, k.next_call_at,
       k.comment, k.recording, k.template_id, k.email_skipped
FROM crm.calls k
JOIN crm.clients c ON c.account_id = k.account_id AND c.id = k.client_id
LEFT JOIN crm.invoices i ON i.account_id = k.account_id AND i.id = k.invoice_id
LEFT JOIN crm.call_tasks t ON t.account_id = k.account_id AND t.id = k.task_id
LEFT JOIN crm.employees e ON e.account_id = k.account_id AND e.id = k.employee_id;

GRANT SELECT ON crm.call_queue, crm.client_calls TO crm_reader;

COMMENT ON COLUMN crm.calls.email_skipped IS
    'Why the call''s template email was not queued: the client''s category (not_client or spam), which stops every message to it; NULL when it was queued or the call has no template. Filled by crm.';
