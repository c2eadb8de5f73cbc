-- plpgsql/70_run_due.sql: crm.run_due(now, max_items) written in PL/pgSQL, as
-- crm_pl.run_due(now, max_items), for the run_due workload.
--
-- Covers the three due handlers crm has, run in crm's order, each claiming at most
-- max_items items, oldest first, with FOR UPDATE SKIP LOCKED and re-checking under the
-- lock, in one statement per kind planned for each call's arguments (EXECUTE ... USING,
-- as crm plans them with CURSOR_OPT_CUSTOM_PLAN):
--   invoice_auto_cancel: awaiting/prepaid invoices with auto_cancel_at <= now become
--     cancelled (status_changed_at, updated_at = transaction time; autopay off and no next
--     charge); event status_changed {reason: auto_cancel, comment: null} by no employee,
--     and autopay_off {reason, charges, why} when autopay was on;
--   autopay_charge: autopay invoices (awaiting, prepaid, paid) with next_charge_at <= now
--     get autopay_pending/queued + 1, autopay_last_charge_at, next_charge_at one interval
--     on (NULL once successful + pending charges reach autopay_limit), updated_at; event
--     charge_queued {reason: autopay, charge, due_at, amount, next_charge_at} by no
--     employee; one outbox 'charge' row keyed charge:<invoice>:<n> (a second is a no-op);
--     handled = charges queued;
--   lead_overdue: open unmarked leads with deadline < now get overdue_since = deadline
--     (the deadline_expired event comes from the lead history trigger, which in this
--     variant is crm_pl.lead_after_write of plpgsql/10_leads.sql); one outbox notification
--     keyed lead_overdue:<lead>:<deadline epoch>, as crm writes it;
--   refusals: max_items <= 0 (22023) and a future now from a role that does not own
--     schema crm (42501), with crm's texts.
--
-- INVOICES: crm's C triggers on crm.invoices stay enabled in this variant (the other
-- invoice workloads use them; no PL/pgSQL twin of them exists here).  Those triggers refuse
-- writes of the autopay counters and record no reason unless crm's own C code says the
-- write is the system's (a C variable, not reachable from SQL), so they cannot serve a
-- PL/pgSQL run_due.  The twin therefore writes the invoice handlers' rows and events itself,
-- set-based in the handler's statement, with session_replication_role = replica for those
-- two statements only (SET LOCAL semantics through set_config(..., true); this needs the
-- function's owner to be a superuser).  Consequences for the comparison: on the invoice
-- part this variant runs no per-row trigger at all, not even the foreign-key checks of the
-- event and outbox rows, so it is a lower bound of what PL/pgSQL invoice triggers would
-- cost; and changing session_replication_role resets the backend's plan cache, once per
-- call.  The lead part runs through the PL/pgSQL lead triggers, as the lead workloads do.

-- The handlers, as the owner: SECURITY DEFINER, like crm's run_due which becomes the owner
-- of schema crm.  Returns one row per kind, in crm's order.
CREATE FUNCTION crm_pl.run_due_handlers(now timestamptz, max_items integer)
RETURNS TABLE (kind text, handled bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  role_before text := current_setting('session_replication_role');
  n bigint;
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);

  EXECUTE $q$
    WITH d AS (
      SELECT account_id, id, status, autopay, autopay_count, autopay_limit FROM crm.invoices
       WHERE auto_cancel_at <= $1 AND status IN ('awaiting', 'prepaid')
       ORDER BY auto_cancel_at, account_id, id LIMIT $2 FOR UPDATE SKIP LOCKED),
    c AS (
      UPDATE crm.invoices AS i
         SET status = 'cancelled', status_changed_at = transaction_timestamp(), updated_at = transaction_timestamp(),
             autopay = false, next_charge_at = NULL
        FROM d WHERE i.account_id = d.account_id AND i.id = d.id AND i.status IN ('awaiting', 'prepaid')
         AND i.auto_cancel_at <= $1
      RETURNING i.account_id, i.id, d.status AS from_status, d.autopay AS had_autopay, i.autopay_count, i.autopay_limit),
    ev AS (
      INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, from_status, to_status, detail)
      SELECT account_id, id, NULL::bigint, 'status_changed', from_status, 'cancelled',
             jsonb_build_object('reason', 'auto_cancel', 'comment', NULL)
        FROM c
      UNION ALL
      SELECT account_id, id, NULL::bigint, 'autopay_off', NULL::text, NULL::text,
             jsonb_build_object('reason', 'auto_cancel', 'charges', autopay_count,
                                'why', CASE WHEN autopay_limit IS NOT NULL AND autopay_count >= autopay_limit
                                            THEN 'limit_reached' ELSE 'cancelled' END)
        FROM c WHERE had_autopay)
    SELECT count(*) FROM c $q$ INTO n USING now, max_items::bigint;
  kind := 'invoice_auto_cancel'; handled := n; RETURN NEXT;

  EXECUTE $q$
    WITH due AS (
      SELECT account_id, id FROM crm.invoices
       WHERE next_charge_at <= $1 AND autopay AND status IN ('awaiting', 'prepaid', 'paid')
       ORDER BY next_charge_at, account_id, id LIMIT $2 FOR UPDATE SKIP LOCKED),
    charged AS (
      UPDATE crm.invoices AS i
         SET autopay_pending = i.autopay_pending + 1, autopay_queued = i.autopay_queued + 1,
             autopay_last_charge_at = i.next_charge_at, updated_at = transaction_timestamp(),
             next_charge_at = CASE WHEN i.autopay_limit IS NOT NULL
                                    AND i.autopay_count + i.autopay_pending + 1 >= i.autopay_limit THEN NULL
                                   ELSE i.next_charge_at + i.autopay_interval END
        FROM due WHERE i.account_id = due.account_id AND i.id = due.id
         AND i.autopay AND i.next_charge_at <= $1
      RETURNING i.account_id, i.id, i.number, i.client_id, i.amount, i.autopay_queued,
                i.autopay_last_charge_at, i.next_charge_at),
    ev AS (
      INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, detail)
      SELECT account_id, id, NULL, 'charge_queued',
             jsonb_build_object('reason', 'autopay', 'charge', autopay_queued,
                                'due_at', crm_pl.utc_text(autopay_last_charge_at), 'amount', amount,
                                'next_charge_at', crm_pl.utc_text(next_charge_at))
        FROM charged),
    queued AS (
      INSERT INTO crm.outbox (account_id, kind, payload, dedup_key)
      SELECT account_id, 'charge',
             jsonb_build_object('invoice_id', id, 'number', number, 'client_id', client_id,
                                'amount', amount, 'charge', autopay_queued, 'due_at', autopay_last_charge_at),
             'charge:' || id || ':' || autopay_queued
        FROM charged ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
      RETURNING 1)
    SELECT count(*) FROM queued $q$ INTO n USING now, max_items::bigint;
  kind := 'autopay_charge'; handled := n; RETURN NEXT;

  PERFORM set_config('session_replication_role', role_before, true);

  EXECUTE $q$
    WITH due AS (
      SELECT account_id, id FROM crm.leads
       WHERE deadline < $1 AND closed_at IS NULL AND overdue_since IS NULL
       ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED),
    marked AS (
      UPDATE crm.leads l SET overdue_since = l.deadline
        FROM due WHERE l.account_id = due.account_id AND l.id = due.id
         AND l.deadline < $1 AND l.closed_at IS NULL AND l.overdue_since IS NULL
      RETURNING l.account_id, l.id, l.number, l.contact_name, l.deadline, l.manager_id),
    queued AS (
      INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, payload, dedup_key)
      SELECT m.account_id, 'notification', e.email, format('Lead %s is overdue', m.number),
             format('The deadline of lead %s (%s) passed at %s %s.', m.number,
                    coalesce(m.contact_name, 'no contact name'),
                    to_char(m.deadline AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI:SS'), a.timezone),
             jsonb_build_object('event', 'lead_overdue', 'lead_id', m.id, 'number', m.number,
                                'manager_id', m.manager_id, 'deadline', m.deadline),
             format('lead_overdue:%s:%s', m.id, date_part('epoch', m.deadline))
        FROM marked m
        JOIN crm.accounts a ON a.id = m.account_id
        LEFT JOIN crm.employees e ON e.account_id = m.account_id AND e.id = m.manager_id
      ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
      RETURNING 1)
    SELECT count(*) FROM marked $q$ INTO n USING now, max_items::bigint;
  kind := 'lead_overdue'; handled := n; RETURN NEXT;
END $$;

-- The entry point, as the caller (crm.run_due checks the calling role, then becomes the owner).
CREATE FUNCTION crm_pl.run_due(now timestamptz DEFAULT now(), max_items integer DEFAULT 10000)
RETURNS TABLE (kind text, handled bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  at timestamptz := coalesce(now, transaction_timestamp());
  lim integer := coalesce(max_items, 10000);
  clock timestamptz := clock_timestamp();
BEGIN
  IF lim <= 0 THEN
    RAISE EXCEPTION 'max_items must be positive' USING ERRCODE = '22023',
      DETAIL = format('max_items is %s.', lim),
      HINT = 'Pass the largest number of items of each kind to handle in this call, for example 10000.';
  END IF;
  IF at > clock AND NOT pg_has_role((SELECT nspowner FROM pg_namespace WHERE nspname = 'crm'), 'USAGE') THEN
    RAISE EXCEPTION 'only the owner of schema crm may run due work ahead of time' USING ERRCODE = '42501',
      DETAIL = format('now is "%s", later than the current time "%s"; run_due acts on every account.', at, clock),
      HINT = 'Call crm.run_due() without now, or with a time that is not in the future.';
  END IF;
  RETURN QUERY SELECT * FROM crm_pl.run_due_handlers(at, lim);
END $$;

REVOKE EXECUTE ON FUNCTION crm_pl.run_due_handlers(timestamptz, integer), crm_pl.run_due(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm_pl.run_due_handlers(timestamptz, integer), crm_pl.run_due(timestamptz, integer) TO crm_admin;
