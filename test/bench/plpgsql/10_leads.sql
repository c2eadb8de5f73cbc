-- plpgsql_variant.sql: crm's lead rules written in PL/pgSQL, as a careful DBA would.
-- Applied to a database that already has CREATE EXTENSION crm: the same tables,
-- indexes, foreign keys and policies; crm's C triggers on crm.leads and
-- crm.lead_events are disabled and these take their place.
--
-- Numbering: the same "max + lock" scheme as crm (numbering.c): the counter
-- row in crm.number_sequences is locked with SELECT ... FOR UPDATE (a lock the
-- transaction already holds is not taken again, so a bulk insert leaves no row
-- versions behind), and the next number is max(number_seq) + 1 read from the
-- index (account_id, number_sequence_id, number_seq).  Plans are cached by
-- PL/pgSQL; every function is SECURITY DEFINER with a pinned search_path,
-- like crm's C functions that write history as the schema owner.

CREATE SCHEMA IF NOT EXISTS crm_pl;

-- Number of a template for a row of `numbered` (crm.leads or crm.orders)
-- created at `at` in timezone tz; returns (number, sequence id, seq).
CREATE FUNCTION crm_pl.number_next(account bigint, tmpl text, tz text, at timestamptz, numbered text,
                                   OUT number text, OUT sequence_id bigint, OUT seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  local timestamp := at AT TIME ZONE coalesce(tz, 'UTC');
  seq_key text := replace(replace(tmpl, '{YYYY}', to_char(local, 'YYYY')), '{MM}', to_char(local, 'MM'));
  token text := substring(seq_key from '\{N(?::[0-9]+)?\}');
  width int := coalesce(substring(token from ':([0-9]+)')::int, 0);
BEGIN
  SELECT s.id INTO sequence_id FROM crm.number_sequences s
   WHERE s.account_id = account AND s.key = seq_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO crm.number_sequences (account_id, key) VALUES (account, seq_key)
      ON CONFLICT (account_id, key) DO NOTHING RETURNING id INTO sequence_id;
    IF sequence_id IS NULL THEN
      SELECT s.id INTO sequence_id FROM crm.number_sequences s
       WHERE s.account_id = account AND s.key = seq_key FOR UPDATE;
    END IF;
  END IF;
  IF numbered = 'orders' THEN
    SELECT coalesce(max(o.number_seq), 0) + 1 INTO seq FROM crm.orders o
     WHERE o.account_id = account AND o.number_sequence_id = number_next.sequence_id;
  ELSE
    SELECT coalesce(max(l.number_seq), 0) + 1 INTO seq FROM crm.leads l
     WHERE l.account_id = account AND l.number_sequence_id = number_next.sequence_id;
  END IF;
  number := replace(seq_key, token, CASE WHEN width > 0 THEN lpad(seq::text, greatest(width, length(seq::text)), '0')
                                     ELSE seq::text END);
END $$;

-- Whether crm could make `number` from tmpl at some time (numbering.c's crm_number_fits):
-- the literal text, four digits for {YYYY}, two for {MM}, and a counter from 1 up
-- zero-padded to its width.
CREATE FUNCTION crm_pl.number_fits(tmpl text, number text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  pat text := '';
  rest text := tmpl;
  m text[];
  width int := 1;
  counter text;
BEGIN
  WHILE rest <> '' LOOP
    m := regexp_match(rest, '^\{(YYYY|MM|N|N:([0-9]+))\}');
    IF m IS NULL THEN
      pat := pat || CASE WHEN left(rest, 1) ~ '[[:punct:]]' AND ascii(rest) < 128 THEN '\' ELSE '' END || left(rest, 1);
      rest := substr(rest, 2);
    ELSE
      pat := pat || CASE m[1] WHEN 'YYYY' THEN '[0-9]{4}' WHEN 'MM' THEN '[0-9]{2}' ELSE '([0-9]+)' END;
      width := CASE WHEN m[2] IS NOT NULL THEN m[2]::int WHEN m[1] = 'N' THEN 1 ELSE width END;
      rest := substr(rest, length(m[1]) + 3);
    END IF;
  END LOOP;
  counter := (regexp_match(number, '^' || pat || '$'))[1];
  RETURN counter IS NOT NULL AND length(counter) >= width
         AND (length(counter) = width OR left(counter, 1) <> '0') AND counter ~ '[1-9]';
END $$;

-- An import (plpgsql/80_import.sql): crm knows its writes by a flag of the backend;
-- here the transaction-local setting crm_pl.importing = 'on' (set only inside
-- crm_pl.import_leads).  Its leads come whole (number, times, manager) and it writes
-- their created events itself.
CREATE FUNCTION crm_pl.importing() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('crm_pl.importing', true), '') = 'on' $$;

CREATE FUNCTION crm_pl.lead_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
  n record;
  emp text;
BEGIN
  IF NEW.account_id IS NULL OR crm_pl.importing() THEN RETURN NEW; END IF;
  IF NEW.number IS NOT NULL THEN
    RAISE EXCEPTION 'cannot insert a value into column "number" of crm.leads' USING ERRCODE = '428C9',
      DETAIL = 'Lead numbers are made from the lead type''s number template.', HINT = 'Leave number out of the INSERT.';
  END IF;
  IF NEW.type_id IS NULL THEN
    SELECT lt.id, lt.number_template, a.timezone, s.id AS status_id, s.kind INTO t
      FROM crm.lead_types lt JOIN crm.accounts a ON a.id = lt.account_id
      LEFT JOIN crm.statuses s ON s.account_id = lt.account_id AND s.id = coalesce(NEW.status_id, lt.initial_status_id)
     WHERE lt.account_id = NEW.account_id AND lt.is_default;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'lead has no type' USING ERRCODE = '23502';
    END IF;
  ELSE
    SELECT lt.id, lt.number_template, a.timezone, s.id AS status_id, s.kind INTO t
      FROM crm.lead_types lt JOIN crm.accounts a ON a.id = lt.account_id
      LEFT JOIN crm.statuses s ON s.account_id = lt.account_id AND s.id = coalesce(NEW.status_id, lt.initial_status_id)
     WHERE lt.account_id = NEW.account_id AND lt.id = NEW.type_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'lead type % does not exist', NEW.type_id USING ERRCODE = '23503';
    END IF;
  END IF;
  IF t.status_id IS NULL THEN
    RAISE EXCEPTION 'status % does not exist', NEW.status_id USING ERRCODE = '23503';
  END IF;
  NEW.created_at := coalesce(NEW.created_at, transaction_timestamp());
  n := crm_pl.number_next(NEW.account_id, t.number_template, t.timezone, NEW.created_at, 'leads');
  NEW.type_id := t.id;
  NEW.status_id := t.status_id;
  NEW.number := n.number;
  NEW.number_sequence_id := n.sequence_id;
  NEW.number_seq := n.seq;
  NEW.status_changed_at := NEW.created_at;
  NEW.closed_at := CASE WHEN t.kind = 'open' THEN NULL ELSE NEW.created_at END;
  NEW.overdue_since := NULL;
  IF NEW.manager_id IS NULL THEN
    emp := nullif(current_setting('crm.employee_id', true), '');
    NEW.manager_id := emp::bigint;
  END IF;
  RETURN NEW;
END $$;

-- Status moves made by linking (plpgsql/40_linking.sql): crm's C triggers know
-- them by a flag of the backend; here the transaction-local setting
-- crm_pl.linking = 'on' (set only inside crm_pl.link_order_lead).  It lets the
-- lead's order_id be written and skips the transition rules, and the history
-- records "by": "system".

CREATE FUNCTION crm_pl.linking() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('crm_pl.linking', true), '') = 'on' $$;

-- crm's own locks (kit/locks.c): a row of crm.locks per (account, key), made
-- when first taken and locked FOR UPDATE (or, to try, SKIP LOCKED), as the owner.
CREATE FUNCTION crm_pl.lock_row(account bigint, k integer, try boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  FOR attempt IN 1 .. 2 LOOP
    IF try THEN
      PERFORM 1 FROM crm.locks WHERE account_id = account AND key = k FOR UPDATE SKIP LOCKED;
    ELSE
      PERFORM 1 FROM crm.locks WHERE account_id = account AND key = k FOR UPDATE;
    END IF;
    IF FOUND THEN RETURN true; END IF;
    INSERT INTO crm.locks (account_id, key) VALUES (account, k) ON CONFLICT DO NOTHING;
    IF NOT FOUND AND try THEN RETURN false; END IF;   -- the row is there: someone holds it
  END LOOP;
  RETURN false;
END $$;

-- The phone lock: key = the bucket of the phone, the hash of the E.164 text mod 64;
-- hashtext is the same hash_bytes crm uses, and mod 64 of its unsigned value is its low 6 bits.
CREATE FUNCTION crm_pl.lock_phone(account bigint, e164 text) RETURNS void
LANGUAGE sql AS $$ SELECT crm_pl.lock_row(account, hashtext(e164) & 63) $$;



-- The account's phone settings (crm reads them once per transaction; here one
-- primary-key lookup per trigger call).
CREATE FUNCTION crm_pl.settings(account bigint, OUT region text, OUT client_mode text, OUT order_mode text,
                                OUT won_status bigint, OUT order_template text, OUT tz text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  SELECT a.default_region, a.client_link_mode, a.order_link_mode, a.order_won_status_id,
         a.order_number_template, a.timezone
    INTO region, client_mode, order_mode, won_status, order_template, tz
    FROM crm.accounts a WHERE a.id = account;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'account % does not exist', account USING ERRCODE = '23503',
      HINT = 'Set crm.account_id to the id of an account in crm.accounts.';
  END IF;
END $$;

CREATE FUNCTION crm_pl.lead_before_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  col text;
  to_kind text;
  to_name text;
  from_name text;
  allowed boolean;
BEGIN
  col := CASE WHEN NEW.account_id IS DISTINCT FROM OLD.account_id THEN 'account_id'
              WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id'
              WHEN NEW.number_sequence_id IS DISTINCT FROM OLD.number_sequence_id THEN 'number_sequence_id'
              WHEN NEW.number_seq IS DISTINCT FROM OLD.number_seq THEN 'number_seq'
              WHEN NEW.created_at IS DISTINCT FROM OLD.created_at THEN 'created_at'
              WHEN NEW.number IS DISTINCT FROM OLD.number THEN 'number' END;
  IF col IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of a lead cannot be changed', col USING ERRCODE = '55000',
      DETAIL = 'It is fixed when the lead is created.', HINT = format('Leave %s out of the UPDATE.', col);
  END IF;
  IF NEW.status_id IS DISTINCT FROM OLD.status_id OR NEW.type_id IS DISTINCT FROM OLD.type_id THEN
    IF NEW.status_id IS NULL THEN
      RAISE EXCEPTION 'a lead''s status cannot be set to NULL' USING ERRCODE = '23502';
    END IF;
    IF NEW.type_id IS NULL THEN
      RAISE EXCEPTION 'a lead''s type cannot be set to NULL' USING ERRCODE = '23502';
    END IF;
    IF NEW.type_id IS DISTINCT FROM OLD.type_id
       AND NOT EXISTS (SELECT 1 FROM crm.lead_types WHERE account_id = OLD.account_id AND id = NEW.type_id) THEN
      RAISE EXCEPTION 'lead type % does not exist', NEW.type_id USING ERRCODE = '23503';
    END IF;
    SELECT kind, name INTO to_kind, to_name FROM crm.statuses WHERE account_id = OLD.account_id AND id = NEW.status_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'status % does not exist', NEW.status_id USING ERRCODE = '23503';
    END IF;
    -- A move made by linking is not held to the transition rules.
    IF NEW.status_id <> OLD.status_id AND OLD.status_id IS NOT NULL AND NOT crm_pl.linking() THEN
      SELECT count(*) = 0 OR coalesce(bool_or(to_status_id = NEW.status_id), false) INTO allowed
        FROM crm.status_transitions
       WHERE account_id = OLD.account_id AND from_status_id = OLD.status_id
         AND (lead_type_id IS NULL OR lead_type_id = NEW.type_id);
      IF NOT allowed THEN
        SELECT name INTO from_name FROM crm.statuses WHERE account_id = OLD.account_id AND id = OLD.status_id;
        RAISE EXCEPTION 'lead "%" cannot move from "%" to "%"', coalesce(OLD.number, '(no number)'), from_name, to_name
          USING ERRCODE = '55000';
      END IF;
    END IF;
    IF NEW.status_id <> OLD.status_id OR OLD.status_id IS NULL THEN
      NEW.status_changed_at := transaction_timestamp();
      IF to_kind = 'open' THEN
        NEW.closed_at := NULL;
      ELSIF OLD.closed_at IS NULL THEN
        NEW.closed_at := transaction_timestamp();
      END IF;
    END IF;
  END IF;
  IF NEW.deadline IS DISTINCT FROM OLD.deadline THEN
    NEW.overdue_since := NULL;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION crm_pl.utc_text(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(t AT TIME ZONE 'UTC') #>> '{}' || '+00:00' $$;

CREATE FUNCTION crm_pl.lead_after_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  emp bigint := nullif(current_setting('crm.employee_id', true), '')::bigint;
BEGIN
  IF TG_OP = 'INSERT' AND crm_pl.importing() THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, from_status_id, to_status_id, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'created', NULL, NEW.status_id, jsonb_build_object('number', NEW.number));
    RETURN NULL;
  END IF;
  IF NEW.status_id IS DISTINCT FROM OLD.status_id THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, from_status_id, to_status_id, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'status_changed', OLD.status_id, NEW.status_id,
            jsonb_build_object('comment', NULL, 'by', CASE WHEN crm_pl.linking() THEN 'system' ELSE 'employee' END));
  END IF;
  IF NEW.deadline IS DISTINCT FROM OLD.deadline THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'deadline_changed',
            jsonb_build_object('from', crm_pl.utc_text(OLD.deadline), 'to', crm_pl.utc_text(NEW.deadline)));
  END IF;
  IF OLD.overdue_since IS NULL AND NEW.overdue_since IS NOT NULL THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'deadline_expired',
            jsonb_build_object('deadline', crm_pl.utc_text(NEW.deadline), 'overdue_since', crm_pl.utc_text(NEW.overdue_since)));
  END IF;
  IF NEW.manager_id IS DISTINCT FROM OLD.manager_id THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'manager_changed', jsonb_build_object('from', OLD.manager_id, 'to', NEW.manager_id));
  END IF;
  IF NEW.client_id IS DISTINCT FROM OLD.client_id THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'client_linked', jsonb_build_object('from', OLD.client_id, 'to', NEW.client_id));
  END IF;
  IF NEW.order_id IS DISTINCT FROM OLD.order_id THEN
    INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
    VALUES (NEW.account_id, NEW.id, emp, 'order_linked', jsonb_build_object('from', OLD.order_id, 'to', NEW.order_id));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION crm_pl.forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of "crm.%" cannot be %', TG_TABLE_NAME,
    CASE TG_OP WHEN 'UPDATE' THEN 'updated' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END
    USING ERRCODE = '42501', HINT = TG_ARGV[0];
END $$;

GRANT USAGE ON SCHEMA crm_pl TO crm_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm_pl TO crm_reader;

ALTER TABLE crm.leads DISABLE TRIGGER USER;
ALTER TABLE crm.lead_events DISABLE TRIGGER USER;

CREATE TRIGGER lead_pl_10_before_insert BEFORE INSERT ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.lead_before_insert();
CREATE TRIGGER lead_pl_10_before_update BEFORE UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.lead_before_update();
CREATE TRIGGER lead_pl_90_history AFTER INSERT OR UPDATE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.lead_after_write();
CREATE TRIGGER lead_pl_no_delete BEFORE DELETE ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.forbid_change('Move the lead to a lost status instead; its history stays.');
CREATE TRIGGER lead_pl_no_truncate BEFORE TRUNCATE ON crm.leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm_pl.forbid_change('Move the lead to a lost status instead; its history stays.');
CREATE TRIGGER lead_events_pl_append_only BEFORE UPDATE OR DELETE ON crm.lead_events
    FOR EACH ROW EXECUTE FUNCTION crm_pl.forbid_change('History is append-only.');
CREATE TRIGGER lead_events_pl_no_truncate BEFORE TRUNCATE ON crm.lead_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm_pl.forbid_change('History is append-only.');

-- Kept-up lead counts, as crm keeps them (src/lead_reports.c): statement-level
-- triggers with transition tables append one change per group that moved to
-- crm.lead_count_changes, and every 128 writing statements a session folds the
-- committed changes into crm.lead_counts under a try-lock (READ COMMITTED only).
CREATE FUNCTION crm_pl.fold_lead_counts_now_and_then() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k int := coalesce(nullif(current_setting('crm_pl.statements_since_fold', true), '')::int, 0) + 1;
BEGIN
  IF k >= 128 AND current_setting('transaction_isolation') = 'read committed' THEN
    k := 0;
    IF crm_pl.lock_row(0, 1000, true) THEN
      WITH moved AS (DELETE FROM crm.lead_count_changes
                     RETURNING account_id, type_id, status_id, campaign_id, leads, revenue)
      INSERT INTO crm.lead_counts AS c (account_id, type_id, status_id, campaign_id, leads, revenue)
      SELECT account_id, type_id, status_id, campaign_id, sum(leads), sum(revenue) FROM moved
      GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (account_id, type_id, status_id, campaign_id)
      DO UPDATE SET leads = c.leads + EXCLUDED.leads, revenue = c.revenue + EXCLUDED.revenue;
    END IF;
  END IF;
  PERFORM set_config('crm_pl.statements_since_fold', k::text, false);
END $$;

CREATE FUNCTION crm_pl.lead_counts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
    SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, count(*), coalesce(sum(o.amount), 0)
    FROM new_leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
  ELSE
    INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue)
    SELECT account_id, type_id, status_id, campaign_id, sum(d), sum(r)
    FROM (SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, 1 AS d, coalesce(o.amount, 0) AS r
          FROM new_leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
          UNION ALL
          SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, -1, -coalesce(o.amount, 0)
          FROM old_leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id) x
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 OR sum(r) <> 0 ORDER BY 1, 2, 3, 4;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM crm_pl.fold_lead_counts_now_and_then();
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER leads_pl_95_counts_insert AFTER INSERT ON crm.leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION crm_pl.lead_counts();
CREATE TRIGGER leads_pl_95_counts_update AFTER UPDATE ON crm.leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION crm_pl.lead_counts();
GRANT EXECUTE ON FUNCTION crm_pl.fold_lead_counts_now_and_then(), crm_pl.lead_counts() TO crm_reader;
