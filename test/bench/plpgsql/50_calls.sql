-- plpgsql/50_calls.sql: crm's call rules (src/calls.c) in PL/pgSQL, as a careful DBA would
-- write them.  crm's C triggers calls_10_schedule, calls_90_apply and the append-only
-- triggers of crm.calls are disabled and replaced; crm.log_call and crm.claim_next_call
-- have twins crm_pl.log_call and crm_pl.claim_next_call, which the plpgsql variant's
-- workload scripts call.  crm's other triggers (invoices, call tasks, clients) stay.
--
-- Rules covered, identically (rows, events and their details, errors and SQLSTATEs):
--   * a call is on an invoice or a task (23514 when neither); recording must be an .mp3,
--     a call-back time before called_at, a negative call-back interval (22023);
--     an unknown invoice or task (23503);
--   * the target row is locked; client_id from it, employee_id from crm.employee_id when
--     not given; next_call_at: no_answer -> called_at + the account's no_answer_first_retry
--     for the first of a chain (no_answer_streak = 0), else + no_answer_next_retry;
--     talked -> callback_at, else called_at + callback_after, else none; call_back -> the
--     same, and one of the two is required (22023); already_paid, wrong_contact -> none;
--   * the target's next_call_at, call_attempts + 1, calls_stopped (already_paid,
--     wrong_contact), claim cleared, no_answer_streak; a task with no next call is closed
--     (closed_at = called_at, closed_reason = the outcome);
--   * wrong_contact flags the client (contact_flagged);
--   * the 'call' event in crm.invoice_events / crm.call_task_events at called_at with
--     {call_id, outcome, employee_id, next_call_at}: ids JSON numbers, next_call_at
--     ISO 8601 in UTC (the events' typing rule);
--   * crm.calls is append-only (42501);
--   * claim_next_call: needs crm.account_id and crm.employee_id (42501), an active employee
--     with can_see_customers (42501); oldest due invoice (awaiting/prepaid, calls not
--     stopped, next_call_at <= now, not claimed until after now, client not not_client/spam)
--     and oldest due open task, each taken FOR UPDATE SKIP LOCKED; the older one (the
--     invoice on a tie) gets claimed_by and claimed_until = now + hold; NULLs when nothing.
-- Not covered (refused with 0A000 rather than done differently): outcome refused on an
-- invoice (cancelling goes through crm's invoice state machine with the event reason
-- call_refused, which only crm's C code can pass) and template_id (template rendering and
-- the outbox).
--
-- Functions that write as the owner are SECURITY DEFINER with a pinned search_path, like
-- crm's; the event trigger also pins DateStyle to ISO, the style crm prints times in.

CREATE FUNCTION crm_pl.calls_schedule() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  on_invoice boolean := NEW.invoice_id IS NOT NULL;
  t record;
  nxt timestamptz;
BEGIN
  -- A NULL outcome or call time is the NOT NULL constraint's to report.
  IF NEW.outcome IS NULL OR NEW.called_at IS NULL THEN
    RETURN NEW;
  END IF;
  IF NOT on_invoice AND NEW.task_id IS NULL THEN
    RAISE EXCEPTION 'call has neither invoice nor task' USING ERRCODE = '23514',
      DETAIL = 'invoice_id and task_id are both NULL.', HINT = 'Give exactly one of invoice_id and task_id.';
  END IF;
  IF NEW.recording IS NOT NULL AND lower(right(NEW.recording, 4)) <> '.mp3' THEN
    RAISE EXCEPTION 'recording "%" is not an .mp3 file', NEW.recording USING ERRCODE = '22023',
      DETAIL = format('The recording reference "%s" does not end in ".mp3".', NEW.recording),
      HINT = 'Reference the call recording as an .mp3 file, or leave recording NULL.';
  END IF;
  IF NEW.callback_at < NEW.called_at THEN
    RAISE EXCEPTION 'call-back time is before the call' USING ERRCODE = '22023',
      DETAIL = format('callback_at %s is before called_at %s.', NEW.callback_at, NEW.called_at),
      HINT = 'Choose a call-back time at or after the call.';
  END IF;
  -- crm looks at the interval's time part only (hours, minutes, seconds).
  IF extract(hour FROM NEW.callback_after) * 3600 + extract(minute FROM NEW.callback_after) * 60
     + extract(second FROM NEW.callback_after) < 0 THEN
    RAISE EXCEPTION 'call-back interval is negative' USING ERRCODE = '22023', HINT = 'Choose a positive interval.';
  END IF;

  IF on_invoice THEN
    SELECT i.client_id, i.no_answer_streak, NEW.called_at + a.no_answer_first_retry AS first_retry,
           NEW.called_at + a.no_answer_next_retry AS next_retry INTO t
      FROM crm.invoices i JOIN crm.accounts a ON a.id = i.account_id
     WHERE i.account_id = NEW.account_id AND i.id = NEW.invoice_id FOR UPDATE OF i;
  ELSE
    SELECT k.client_id, k.no_answer_streak, NEW.called_at + a.no_answer_first_retry AS first_retry,
           NEW.called_at + a.no_answer_next_retry AS next_retry INTO t
      FROM crm.call_tasks k JOIN crm.accounts a ON a.id = k.account_id
     WHERE k.account_id = NEW.account_id AND k.id = NEW.task_id FOR UPDATE OF k;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% % does not exist', CASE WHEN on_invoice THEN 'invoice' ELSE 'call task' END,
      coalesce(NEW.invoice_id, NEW.task_id) USING ERRCODE = '23503',
      DETAIL = format('Account %s has no %s with id %s.', NEW.account_id,
                      CASE WHEN on_invoice THEN 'invoice' ELSE 'call task' END, coalesce(NEW.invoice_id, NEW.task_id)),
      HINT = 'Log calls on the account''s own invoices and call tasks.';
  END IF;

  IF NEW.outcome = 'no_answer' THEN
    nxt := CASE WHEN t.no_answer_streak > 0 THEN t.next_retry ELSE t.first_retry END;
  ELSIF NEW.outcome IN ('talked', 'call_back') THEN
    nxt := coalesce(NEW.callback_at, NEW.called_at + NEW.callback_after);
    IF nxt IS NULL AND NEW.outcome = 'call_back' THEN
      RAISE EXCEPTION 'call_back needs a call-back time' USING ERRCODE = '22023',
        DETAIL = 'Both callback_at and callback_after are NULL.',
        HINT = 'Give callback_at (at or after called_at) or callback_after.';
    END IF;
  END IF;

  IF on_invoice THEN
    UPDATE crm.invoices SET next_call_at = nxt, call_attempts = call_attempts + 1,
           calls_stopped = CASE WHEN NEW.outcome IN ('already_paid', 'refused', 'wrong_contact') THEN NEW.outcome END,
           claimed_by = NULL, claimed_until = NULL,
           no_answer_streak = CASE WHEN NEW.outcome = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END
     WHERE account_id = NEW.account_id AND id = NEW.invoice_id;
  ELSE
    UPDATE crm.call_tasks SET next_call_at = nxt, call_attempts = call_attempts + 1,
           calls_stopped = CASE WHEN NEW.outcome IN ('already_paid', 'refused', 'wrong_contact') THEN NEW.outcome END,
           claimed_by = NULL, claimed_until = NULL,
           closed_at = CASE WHEN nxt IS NULL THEN coalesce(closed_at, NEW.called_at) END,
           closed_reason = CASE WHEN nxt IS NULL THEN coalesce(closed_reason, NEW.outcome) END,
           no_answer_streak = CASE WHEN NEW.outcome = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END
     WHERE account_id = NEW.account_id AND id = NEW.task_id;
  END IF;

  NEW.client_id := t.client_id;
  IF NEW.employee_id IS NULL THEN
    NEW.employee_id := nullif(current_setting('crm.employee_id', true), '')::bigint;
  END IF;
  NEW.next_call_at := nxt;
  RETURN NEW;
END $$;

CREATE FUNCTION crm_pl.calls_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO' AS $$
DECLARE
  d jsonb := jsonb_build_object('call_id', NEW.id, 'outcome', NEW.outcome,
                                     'employee_id', NEW.employee_id, 'next_call_at', crm_pl.utc_text(NEW.next_call_at));
BEGIN
  IF NEW.template_id IS NOT NULL OR (NEW.invoice_id IS NOT NULL AND NEW.outcome = 'refused') THEN
    RAISE EXCEPTION 'the PL/pgSQL variant does not cover this call' USING ERRCODE = '0A000',
      DETAIL = 'Calls with a template and refused calls on invoices are crm''s only.';
  END IF;
  IF NEW.outcome = 'wrong_contact' THEN
    UPDATE crm.clients SET contact_flagged = true WHERE account_id = NEW.account_id AND id = NEW.client_id;
  END IF;
  IF NEW.invoice_id IS NOT NULL THEN
    INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.invoice_id, NEW.called_at, NEW.employee_id, 'call', d);
  ELSE
    INSERT INTO crm.call_task_events (account_id, task_id, at, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.task_id, NEW.called_at, NEW.employee_id, 'call', d);
  END IF;
  RETURN NULL;
END $$;

-- crm.log_call: one INSERT, as the caller (the triggers write as the owner).
CREATE FUNCTION crm_pl.log_call(outcome text, invoice_id bigint DEFAULT NULL, task_id bigint DEFAULT NULL,
                                called_at timestamptz DEFAULT NULL,
                                callback_at timestamptz DEFAULT NULL, callback_after interval DEFAULT NULL,
                                comment text DEFAULT NULL, recording text DEFAULT NULL,
                                template_id bigint DEFAULT NULL, copy_to_manager boolean DEFAULT false)
RETURNS crm.calls LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  call crm.calls;
BEGIN
  IF nullif(current_setting('crm.account_id', true), '') IS NULL THEN
    RAISE EXCEPTION 'no crm account is selected' USING ERRCODE = '42501',
      DETAIL = 'The setting crm.account_id is not set in this session.',
      HINT = 'Set crm.account_id to your account''s id, for example with SET crm.account_id = 1, SET LOCAL in a transaction, or ALTER ROLE ... SET.';
  END IF;
  INSERT INTO crm.calls (invoice_id, task_id, outcome, called_at, callback_at, callback_after, comment,
                         recording, template_id, copy_to_manager)
  VALUES (log_call.invoice_id, log_call.task_id, log_call.outcome, coalesce(log_call.called_at, transaction_timestamp()),
          log_call.callback_at, log_call.callback_after, log_call.comment, log_call.recording,
          log_call.template_id, coalesce(log_call.copy_to_manager, false))
  RETURNING * INTO call;
  RETURN call;
END $$;

-- crm.claim_next_call: runs as the owner once the operator's own right is checked.
CREATE FUNCTION crm_pl.claim_next_call(now timestamptz DEFAULT now(), hold interval DEFAULT '15 minutes',
                                       OUT kind text, OUT id bigint, OUT next_call_at timestamptz)
RETURNS record LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  acc bigint := nullif(current_setting('crm.account_id', true), '')::bigint;
  emp bigint := nullif(current_setting('crm.employee_id', true), '')::bigint;
  allowed boolean;
  inv_id bigint;
  inv_at timestamptz;
  task_id bigint;
  task_at timestamptz;
BEGIN
  IF acc IS NULL THEN
    RAISE EXCEPTION 'no crm account is selected' USING ERRCODE = '42501',
      DETAIL = 'The setting crm.account_id is not set in this session.',
      HINT = 'Set crm.account_id to your account''s id, for example with SET crm.account_id = 1, SET LOCAL in a transaction, or ALTER ROLE ... SET.';
  END IF;
  IF emp IS NULL THEN
    RAISE EXCEPTION 'no employee to claim a call for' USING ERRCODE = '42501',
      DETAIL = 'The setting crm.employee_id is unset.', HINT = 'Set crm.employee_id to the operator''s employee id.';
  END IF;
  SELECT e.can_see_customers AND e.active INTO allowed FROM crm.employees e WHERE e.account_id = acc AND e.id = emp;
  IF NOT coalesce(allowed, false) THEN
    RAISE EXCEPTION 'employee % may not claim calls', emp USING ERRCODE = '42501',
      DETAIL = format('Employee %s of account %s is inactive, unknown or without can_see_customers.', emp, acc),
      HINT = 'Claim calls as an active employee with can_see_customers.';
  END IF;

  SELECT i.id, i.next_call_at INTO inv_id, inv_at FROM crm.invoices i
    JOIN crm.clients c ON c.account_id = i.account_id AND c.id = i.client_id
   WHERE i.account_id = acc AND i.status IN ('awaiting', 'prepaid')
     AND i.calls_stopped IS NULL AND i.next_call_at <= claim_next_call.now
     AND (i.claimed_until IS NULL OR i.claimed_until <= claim_next_call.now)
     AND c.category NOT IN ('not_client', 'spam')
   ORDER BY i.next_call_at, i.id LIMIT 1 FOR UPDATE OF i SKIP LOCKED;
  SELECT t.id, t.next_call_at INTO task_id, task_at FROM crm.call_tasks t
    JOIN crm.clients c ON c.account_id = t.account_id AND c.id = t.client_id
   WHERE t.account_id = acc AND t.closed_at IS NULL
     AND t.next_call_at <= claim_next_call.now
     AND (t.claimed_until IS NULL OR t.claimed_until <= claim_next_call.now)
     AND c.category NOT IN ('not_client', 'spam')
   ORDER BY t.next_call_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED;

  IF inv_id IS NOT NULL AND (task_id IS NULL OR inv_at <= task_at) THEN
    UPDATE crm.invoices SET claimed_by = emp, claimed_until = claim_next_call.now + hold
     WHERE account_id = acc AND invoices.id = inv_id;
    kind := 'invoice'; id := inv_id; next_call_at := inv_at;
  ELSIF task_id IS NOT NULL THEN
    UPDATE crm.call_tasks SET claimed_by = emp, claimed_until = claim_next_call.now + hold
     WHERE account_id = acc AND call_tasks.id = task_id;
    kind := 'task'; id := task_id; next_call_at := task_at;
  END IF;
END $$;

GRANT EXECUTE ON FUNCTION crm_pl.log_call(text, bigint, bigint, timestamptz, timestamptz, interval, text, text, bigint, boolean),
                          crm_pl.claim_next_call(timestamptz, interval) TO crm_manager;

ALTER TABLE crm.calls DISABLE TRIGGER calls_10_schedule;
ALTER TABLE crm.calls DISABLE TRIGGER calls_90_apply;
ALTER TABLE crm.calls DISABLE TRIGGER calls_00_append_only;
ALTER TABLE crm.calls DISABLE TRIGGER calls_00_append_only_truncate;

CREATE TRIGGER calls_pl_00_append_only BEFORE UPDATE OR DELETE ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm_pl.forbid_change('Record a correction as a new row.');
CREATE TRIGGER calls_pl_00_append_only_truncate BEFORE TRUNCATE ON crm.calls
    FOR EACH STATEMENT EXECUTE FUNCTION crm_pl.forbid_change('Record a correction as a new row.');
CREATE TRIGGER calls_pl_10_schedule BEFORE INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm_pl.calls_schedule();
CREATE TRIGGER calls_pl_90_apply AFTER INSERT ON crm.calls
    FOR EACH ROW EXECUTE FUNCTION crm_pl.calls_apply();
