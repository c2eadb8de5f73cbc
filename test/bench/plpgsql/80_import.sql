-- plpgsql/80_import.sql: crm.import_run's import of staged leads in PL/pgSQL, as a
-- DBA writes it to report the rejected rows one per row while the good ones load: a
-- loop over the staged leads, each looked up and inserted in its own BEGIN ...
-- EXCEPTION block (a subtransaction per row), a rejected row recorded with its
-- SQLSTATE and message.  Per lead, as crm does: type, status, manager (by email or
-- name) and campaign by name, the old number kept with its place in the template's
-- counter (templates made of a prefix and {N} or {N:width}, as the benchmark's), the
-- times kept, a past deadline marked overdue, the created event dated at created_at
-- (the lead triggers of plpgsql/10_leads.sql leave such a lead as it comes, and
-- plpgsql/40_linking.sql derives its phone and links nothing), the batch recorded.

CREATE FUNCTION crm_pl.import_leads(as_of timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  acc bigint := current_setting('crm.account_id')::bigint;
  emp bigint := nullif(current_setting('crm.employee_id', true), '')::bigint;
  batch bigint;
  r record;
  t record;
  st record;
  mgr bigint;
  camp bigint;
  prefix text;
  seq_id bigint;
  seq bigint;
  lead bigint;
  created timestamptz;
  n_imported bigint := 0;
  n_rejected bigint := 0;
BEGIN
  PERFORM set_config('crm_pl.importing', 'on', true);
  PERFORM crm_pl.lock_row(acc, 1001);
  INSERT INTO crm.import_batches (account_id, employee_id, as_of) VALUES (acc, emp, as_of) RETURNING id INTO batch;
  FOR r IN SELECT * FROM crm.import_leads WHERE account_id = acc ORDER BY number IS NULL, staging_id LOOP
    BEGIN
      SELECT lt.id, lt.number_template, lt.initial_status_id INTO t FROM crm.lead_types lt
       WHERE lt.account_id = acc AND (lt.name = r.type OR (r.type IS NULL AND lt.is_default));
      IF NOT FOUND THEN
        RAISE EXCEPTION 'lead type "%" does not exist', r.type USING ERRCODE = '23503';
      END IF;
      SELECT s.id, s.kind INTO st FROM crm.statuses s
       WHERE s.account_id = acc AND (s.name = r.status OR (r.status IS NULL AND s.id = t.initial_status_id));
      IF NOT FOUND THEN
        RAISE EXCEPTION 'status "%" does not exist', r.status USING ERRCODE = '23503';
      END IF;
      mgr := NULL;
      IF r.manager IS NOT NULL THEN
        SELECT e.id INTO mgr FROM crm.employees e
         WHERE e.account_id = acc AND (lower(e.email) = lower(r.manager) OR e.name = r.manager) LIMIT 1;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'manager "%" does not exist', r.manager USING ERRCODE = '23503';
        END IF;
      END IF;
      camp := NULL;
      IF r.campaign IS NOT NULL THEN
        SELECT c.id INTO camp FROM crm.campaigns c WHERE c.account_id = acc AND c.name = r.campaign;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'campaign "%" does not exist', r.campaign USING ERRCODE = '23503';
        END IF;
      END IF;
      created := coalesce(r.created_at, as_of);
      IF created > as_of THEN
        RAISE EXCEPTION 'created_at "%" is after the import''s time', created USING ERRCODE = '22008';
      END IF;
      seq_id := NULL;
      seq := NULL;
      prefix := split_part(t.number_template, '{', 1);
      IF r.number IS NOT NULL AND left(r.number, length(prefix)) = prefix
         AND substring(r.number FROM length(prefix) + 1) ~ '^[1-9][0-9]*$' THEN
        INSERT INTO crm.number_sequences (account_id, key) VALUES (acc, t.number_template)
          ON CONFLICT (account_id, key) DO NOTHING;
        SELECT ns.id INTO seq_id FROM crm.number_sequences ns
         WHERE ns.account_id = acc AND ns.key = t.number_template FOR UPDATE;
        seq := substring(r.number FROM length(prefix) + 1)::bigint;
      ELSIF r.number IS NULL THEN
        RAISE EXCEPTION 'lead has no number' USING ERRCODE = '23502';
      END IF;
      INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                             client_id, contact_name, contact_phone, email, campaign_id, comment, deadline, urgent,
                             budget, tags, created_at, status_changed_at, closed_at, overdue_since)
      VALUES (acc, r.number, seq_id, seq, t.id, st.id, mgr, r.client_id, r.contact_name, r.contact_phone, r.email,
              camp, r.comment, r.deadline, coalesce(r.urgent, false), r.budget, coalesce(r.tags, '{}'), created,
              coalesce(r.status_changed_at, r.closed_at, created),
              CASE WHEN st.kind <> 'open' THEN coalesce(r.closed_at, r.status_changed_at, created) END,
              CASE WHEN st.kind = 'open' AND r.deadline < as_of THEN r.deadline END)
      RETURNING id INTO lead;
      INSERT INTO crm.lead_events (account_id, lead_id, at, employee_id, kind, to_status_id, detail)
      VALUES (acc, lead, created, emp, 'created', st.id, jsonb_build_object('number', r.number, 'import_batch', batch));
      n_imported := n_imported + 1;
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO crm.import_rejects (account_id, batch_id, kind, staging_id, sqlstate, message, staged_row)
      VALUES (acc, batch, 'lead', r.staging_id, SQLSTATE, SQLERRM, to_jsonb(r) - 'account_id');
      n_rejected := n_rejected + 1;
    END;
  END LOOP;
  DELETE FROM crm.import_leads WHERE account_id = acc;
  UPDATE crm.import_batches SET staged = n_imported + n_rejected, imported = n_imported, rejected = n_rejected
   WHERE account_id = acc AND id = batch;
  RETURN n_imported;
END $$;

GRANT EXECUTE ON FUNCTION crm_pl.import_leads(timestamptz) TO crm_admin;
