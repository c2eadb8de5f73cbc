-- calls.sql: call tasks, calls, retry scheduling, the call queue.  The call
-- centre's columns of crm.invoices (next_call_at ... no_answer_streak) are in
-- invoices/invoices.sql, crm.clients.contact_flagged in clients.sql.

COMMENT ON TABLE crm.call_tasks IS
    'Calls to make to a client outside of invoices; a new task is due at once and closes when an outcome leaves no next call.';
COMMENT ON COLUMN crm.call_tasks.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.call_tasks.id IS 'The task''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.call_tasks.client_id IS 'The client to call; not one in category not_client or spam (55000).';
COMMENT ON COLUMN crm.call_tasks.title IS 'What the call is about.';
COMMENT ON COLUMN crm.call_tasks.employee_id IS 'The employee the task is assigned to; NULL on insert: the acting employee, if any.';
COMMENT ON COLUMN crm.call_tasks.next_call_at IS
    'When the task is due for a call: at first its created_at, then as call outcomes set it; NULL: no call scheduled.';
COMMENT ON COLUMN crm.call_tasks.call_attempts IS 'Calls logged on the task so far (kept by crm).';
COMMENT ON COLUMN crm.call_tasks.calls_stopped IS
    'The call outcome that stopped the calls: already_paid, refused or wrong_contact; NULL while they go on.';
COMMENT ON COLUMN crm.call_tasks.created_at IS 'When the task was created (default: the transaction time).';
COMMENT ON COLUMN crm.call_tasks.closed_at IS
    'When the task was closed: by an outcome that left no next call, or by its client moving to not_client or spam; NULL while open.';
COMMENT ON COLUMN crm.call_tasks.closed_reason IS
    'Why it closed: the call outcome that closed it, or client_not_client or client_spam; NULL while open.';
COMMENT ON COLUMN crm.call_tasks.claimed_by IS
    'The employee who holds the task from crm.claim_next_call; cleared by the next call on it. NULL: not claimed.';
COMMENT ON COLUMN crm.call_tasks.claimed_until IS 'Until when the claim holds: the task is hidden from other operators'' call queue meanwhile.';
COMMENT ON COLUMN crm.call_tasks.no_answer_streak IS E'@omit create,update\n'
    'Kept by crm: the no_answer calls in a row so far (0 after any other outcome), which choose the retry interval.';

COMMENT ON TABLE crm.calls IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName calls\n'
    '@foreignKey (outcome) references crm.call_outcomes (value)\n'
    'Calls made on an invoice or a call task, with their outcome; each schedules the next call. Append-only facts: a correction is a new call. Customer data.';
COMMENT ON COLUMN crm.calls.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.calls.id IS 'The call''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.calls.invoice_id IS 'The invoice the call was about; exactly one of invoice_id and task_id is set.';
COMMENT ON COLUMN crm.calls.task_id IS 'The call task the call was made for; exactly one of invoice_id and task_id is set.';
COMMENT ON COLUMN crm.calls.client_id IS E'@omit create,update\n'
    'Set by crm: the client of the invoice or task.';
COMMENT ON COLUMN crm.calls.employee_id IS
    'The employee who called: the acting one (naming another raises 42501); NULL on insert: the acting employee, if any.';
COMMENT ON COLUMN crm.calls.outcome IS
    'The call''s outcome: talked, no_answer, call_back, already_paid, refused (cancels the invoice) or wrong_contact (flags the client); the last three stop the calls.';
COMMENT ON COLUMN crm.calls.called_at IS 'When the call was made (default: the transaction time); the next call is reckoned from it.';
COMMENT ON COLUMN crm.calls.callback_at IS
    'For talked or call_back: when to call back, not before called_at; NULL: see callback_after.';
COMMENT ON COLUMN crm.calls.callback_after IS
    'For talked or call_back without callback_at: call back this long after called_at; moves time forward, at most 100 years.';
COMMENT ON COLUMN crm.calls.comment IS 'The operator''s note on the call.';
COMMENT ON COLUMN crm.calls.recording IS 'The call''s recording, a reference ending in .mp3; NULL: none.';
COMMENT ON COLUMN crm.calls.template_id IS
    'A message template emailed to the client after the call (through crm.outbox); NULL: no email.';
COMMENT ON COLUMN crm.calls.copy_to_manager IS 'Whether the template email goes in copy to the manager (default false).';
COMMENT ON COLUMN crm.calls.next_call_at IS E'@omit create,update\n'
    'Set by crm: when the invoice or task is due again after this call; NULL: no further call.';
COMMENT ON COLUMN crm.calls.created_at IS 'When the call was logged (default: the transaction time).';

COMMENT ON TABLE crm.call_task_events IS
    'The history of every call task, written by crm; append-only: UPDATE, DELETE and TRUNCATE raise 42501 for every role.';
COMMENT ON COLUMN crm.call_task_events.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.call_task_events.id IS 'The event''s id (an identity; the key is (account_id, id)), in the order of the events.';
COMMENT ON COLUMN crm.call_task_events.task_id IS 'The call task the event belongs to.';
COMMENT ON COLUMN crm.call_task_events.at IS 'When: the call''s called_at.';
COMMENT ON COLUMN crm.call_task_events.employee_id IS 'The employee who called; NULL: none.';
COMMENT ON COLUMN crm.call_task_events.kind IS 'What happened: call (a call on the task).';
COMMENT ON COLUMN crm.call_task_events.detail IS 'JSON: call_id, outcome, employee_id and next_call_at.';

GRANT SELECT ON crm.call_tasks, crm.calls TO crm_reader;
-- crm_manager writes the columns of crm.call_tasks but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.call_tasks FROM crm_manager;
GRANT INSERT (account_id, id, client_id, title, employee_id, next_call_at, call_attempts,
    calls_stopped, created_at, closed_at, closed_reason, claimed_by, claimed_until), UPDATE
    (account_id, id, client_id, title, employee_id, next_call_at, call_attempts, calls_stopped,
    created_at, closed_at, closed_reason, claimed_by, claimed_until) ON crm.call_tasks TO
    crm_manager;
-- crm_manager writes the columns of crm.calls but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT ON crm.calls FROM crm_manager;
GRANT INSERT (account_id, id, invoice_id, task_id, employee_id, outcome, called_at, callback_at,
    callback_after, comment, recording, template_id, copy_to_manager, created_at, email_skipped)
    ON crm.calls TO crm_manager;
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
COMMENT ON FUNCTION crm._calls_schedule() IS
    'Trigger calls_10_schedule: the client, employee and next call of a new call, and the schedule of its invoice or task.';
CREATE OR REPLACE FUNCTION crm._calls_apply() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_calls_apply';
REVOKE ALL ON FUNCTION crm._calls_apply() FROM PUBLIC;
COMMENT ON FUNCTION crm._calls_apply() IS
    'Trigger calls_90_apply: what follows a call: a refused invoice cancelled, a wrong contact flagged, the history, the template email.';
CREATE OR REPLACE FUNCTION crm._call_tasks_check() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_call_tasks_check';
REVOKE ALL ON FUNCTION crm._call_tasks_check() FROM PUBLIC;
COMMENT ON FUNCTION crm._call_tasks_check() IS
    'Trigger call_tasks_10_check: no task for a not_client or spam client; a new task is due at once.';
CREATE OR REPLACE FUNCTION crm._clients_close_call_tasks() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_clients_close_call_tasks';
REVOKE ALL ON FUNCTION crm._clients_close_call_tasks() FROM PUBLIC;
COMMENT ON FUNCTION crm._clients_close_call_tasks() IS
    'Trigger clients_60_close_call_tasks: a client moved to not_client or spam has its open call tasks closed.';

CREATE OR REPLACE TRIGGER calls_10_schedule BEFORE INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._calls_schedule();
CREATE OR REPLACE TRIGGER calls_90_apply AFTER INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm._calls_apply();
CREATE OR REPLACE TRIGGER call_tasks_10_check BEFORE INSERT ON crm.call_tasks
    FOR EACH ROW EXECUTE FUNCTION crm._call_tasks_check();
CREATE OR REPLACE TRIGGER clients_60_close_call_tasks AFTER UPDATE OF category ON crm.clients
    FOR EACH ROW EXECUTE FUNCTION crm._clients_close_call_tasks();

CREATE OR REPLACE FUNCTION crm.log_call(outcome text, invoice_id bigint DEFAULT NULL, task_id bigint DEFAULT NULL,
                             called_at timestamptz DEFAULT NULL,
                             callback_at timestamptz DEFAULT NULL, callback_after interval DEFAULT NULL,
                             comment text DEFAULT NULL, recording text DEFAULT NULL,
                             template_id bigint DEFAULT NULL, copy_to_manager boolean DEFAULT false)
    RETURNS crm.calls LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_log_call';
REVOKE ALL ON FUNCTION crm.log_call(text,bigint,bigint,timestamp with time zone,timestamp with time zone,interval,text,text,bigint,boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm.log_call(text,bigint,bigint,timestamp with time zone,timestamp with time zone,interval,text,text,bigint,boolean) IS
    'Logs a call with its outcome on an invoice or a call task (give one, by name) as INSERT INTO crm.calls does, and returns the call row; the outcome schedules the next call (next_call_at).';

CREATE OR REPLACE FUNCTION crm.claim_next_call(now timestamptz DEFAULT now(), hold interval DEFAULT '15 minutes',
                                    OUT kind text, OUT id bigint, OUT next_call_at timestamptz)
    RETURNS record LANGUAGE c VOLATILE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_claim_next_call';
REVOKE ALL ON FUNCTION crm.claim_next_call(timestamp with time zone,interval) FROM PUBLIC;
COMMENT ON FUNCTION crm.claim_next_call(timestamp with time zone,interval) IS
    'Claims the oldest item due in the call queue for the acting employee until now + hold (at most a day); returns kind, id and next_call_at, NULLs when nothing is due.';

CREATE OR REPLACE FUNCTION crm._claim_next_call(account bigint, now timestamptz, hold interval,
                                     OUT kind text, OUT id bigint, OUT next_call_at timestamptz)
    RETURNS record LANGUAGE c VOLATILE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_claim_next_call';
REVOKE ALL ON FUNCTION crm._claim_next_call(bigint, timestamptz, interval) FROM PUBLIC;
COMMENT ON FUNCTION crm._claim_next_call(bigint, timestamptz, interval) IS
    'The claim of crm.claim_next_call on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s).';

GRANT EXECUTE ON FUNCTION crm.log_call(text, bigint, bigint, timestamptz, timestamptz, interval, text, text, bigint, boolean),
                          crm.claim_next_call(timestamptz, interval),
                          crm._claim_next_call(bigint, timestamptz, interval) TO crm_manager;

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
COMMENT ON VIEW crm.call_queue IS
    E'@primaryKey account_id,kind,id\n'
    '@foreignKey (account_id,client_id) references crm.clients (account_id,id)|@fieldName clientRow|@foreignFieldName callQueue\n'
    '@foreignKey (last_outcome) references crm.call_outcomes (value)\n'
    'Invoices and call tasks due for a call now, oldest first: not for not_client or spam clients, and without items another operator holds.';
COMMENT ON COLUMN crm.call_queue.account_id IS 'The account of the item.';
COMMENT ON COLUMN crm.call_queue.kind IS 'The kind of item, invoice or task: the table its id belongs to.';
COMMENT ON COLUMN crm.call_queue.id IS 'The invoice''s or the call task''s id.';
COMMENT ON COLUMN crm.call_queue.client_id IS 'The client to call.';
COMMENT ON COLUMN crm.call_queue.client IS 'The client''s name.';
COMMENT ON COLUMN crm.call_queue.phones IS 'The client''s phones in E.164, oldest first; NULL: none.';
COMMENT ON COLUMN crm.call_queue.amount IS 'The invoice''s amount; NULL for a task.';
COMMENT ON COLUMN crm.call_queue.next_call_at IS 'When the call fell due.';
COMMENT ON COLUMN crm.call_queue.call_attempts IS 'Calls logged on the item so far.';
COMMENT ON COLUMN crm.call_queue.last_outcome IS 'The outcome of the latest call on the item; NULL: none yet.';
COMMENT ON COLUMN crm.call_queue.claimed_by IS 'The employee whose claim is on the item: the acting one, or another whose claim has run out; NULL: not claimed.';
COMMENT ON COLUMN crm.call_queue.claimed_until IS 'Until when the claim holds.';

-- The invoice's number, the task's title and the employee's name are subqueries in the
-- select list (run only for the rows and columns a query reads). No outer join: on
-- Citus, one is refused beside the policies' account conditions (their equalities become
-- pseudoconstant quals); this shape runs there on the account's shards.
CREATE OR REPLACE VIEW crm.client_calls WITH (security_invoker = true) AS
SELECT k.account_id, k.id, k.client_id, c.name AS client,
       CASE WHEN k.invoice_id IS NOT NULL THEN 'invoice' ELSE 'task' END AS on_kind,
       k.invoice_id,
       (SELECT i.number FROM crm.invoices i WHERE i.account_id = k.account_id AND i.id = k.invoice_id) AS invoice_number,
       k.task_id,
       (SELECT t.title FROM crm.call_tasks t WHERE t.account_id = k.account_id AND t.id = k.task_id) AS task_title,
       k.called_at, k.outcome, k.employee_id,
       (SELECT e.name FROM crm.employees e WHERE e.account_id = k.account_id AND e.id = k.employee_id) AS employee,
       k.callback_at, k.next_call_at,
       k.comment, k.recording, k.template_id, k.email_skipped
FROM crm.calls k
JOIN crm.clients c ON c.account_id = k.account_id AND c.id = k.client_id;
COMMENT ON VIEW crm.client_calls IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.calls (account_id,id)|@fieldName call|@foreignSingleFieldName clientCallRow|@foreignFieldName clientCallRows\n'
    '@foreignKey (outcome) references crm.call_outcomes (value)\n'
    'Every call on a client''s invoices and call tasks, with names.';
COMMENT ON COLUMN crm.client_calls.account_id IS 'The account of the call.';
COMMENT ON COLUMN crm.client_calls.id IS 'The call''s id (crm.calls.id).';
COMMENT ON COLUMN crm.client_calls.client_id IS 'The client''s id.';
COMMENT ON COLUMN crm.client_calls.client IS 'The client''s name.';
COMMENT ON COLUMN crm.client_calls.on_kind IS 'What the call was on: invoice or task.';
COMMENT ON COLUMN crm.client_calls.invoice_id IS 'The invoice''s id; NULL for a call on a task.';
COMMENT ON COLUMN crm.client_calls.invoice_number IS 'The invoice''s number; NULL for a call on a task.';
COMMENT ON COLUMN crm.client_calls.task_id IS 'The call task''s id; NULL for a call on an invoice.';
COMMENT ON COLUMN crm.client_calls.task_title IS 'The call task''s title; NULL for a call on an invoice.';
COMMENT ON COLUMN crm.client_calls.called_at IS 'When the call was made.';
COMMENT ON COLUMN crm.client_calls.outcome IS 'The call''s outcome.';
COMMENT ON COLUMN crm.client_calls.employee_id IS 'The employee who called; NULL: none.';
COMMENT ON COLUMN crm.client_calls.employee IS 'That employee''s name; NULL: none.';
COMMENT ON COLUMN crm.client_calls.callback_at IS 'The call-back time asked for; NULL: none.';
COMMENT ON COLUMN crm.client_calls.next_call_at IS 'When the item was due again after the call; NULL: no further call.';
COMMENT ON COLUMN crm.client_calls.comment IS 'The operator''s note on the call.';
COMMENT ON COLUMN crm.client_calls.recording IS 'The call''s recording (.mp3); NULL: none.';
COMMENT ON COLUMN crm.client_calls.template_id IS 'The template emailed after the call; NULL: none.';
COMMENT ON COLUMN crm.client_calls.email_skipped IS 'Why the template email was not queued (not_client, spam); NULL: queued or no template.';

GRANT SELECT ON crm.call_queue, crm.client_calls TO crm_reader;

COMMENT ON COLUMN crm.calls.email_skipped IS
    'Why the call''s template email was not queued: the client''s category (not_client or spam), which stops every message to it; NULL when it was queued or the call has no template. Filled by crm.';
