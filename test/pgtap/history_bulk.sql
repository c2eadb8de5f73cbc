-- The history and the kept counts of a multi-row INSERT of leads (INSERT ... SELECT,
-- multi-row VALUES, COPY): written per statement (one INSERT of the 'created' events, one
-- of the count changes), the same rows as one-row inserts write, each lead's 'created'
-- event before its other events, and a later statement never taken for an earlier one.
BEGIN;
SELECT plan(14);

SELECT crm_test.company('Bulk History Co') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('statuses', :a, 'New') AS s_new,
       crm_test.id('campaigns', :a, 'Search') AS search, crm_test.id('campaigns', :a, 'Social') AS social \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- One row, then three by INSERT ... SELECT over two campaigns and none.
INSERT INTO crm.leads (contact_name) VALUES ('Single') RETURNING id AS single \gset
INSERT INTO crm.leads (contact_name, campaign_id)
SELECT 'Bulk ' || g, (ARRAY[:search, :social, NULL])[g] FROM generate_series(1, 3) g;

SELECT results_eq(
    $$SELECT l.id, e.employee_id, e.from_status_id, e.to_status_id, e.detail, e.at
        FROM crm.leads l JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id
       WHERE l.contact_name LIKE 'Bulk %' ORDER BY l.id$$,
    format($$SELECT l.id, %s::bigint, NULL::bigint, l.status_id, jsonb_build_object('number', l.number), now()
               FROM crm.leads l WHERE l.contact_name LIKE 'Bulk %%' ORDER BY l.id$$, :anna),
    'a multi-row INSERT: one created event per lead, by the employee, its status, {"number": ...}, at the transaction time');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id IN (SELECT id FROM crm.leads WHERE contact_name LIKE 'Bulk %')),
          3::bigint, 'a multi-row INSERT: no other event');
SELECT is((SELECT jsonb_agg(e.kind || ' ' || coalesce(e.employee_id, 0) || ' ' || e.to_status_id || ' ' || jsonb_typeof(e.detail->'number'))
             FROM crm.lead_events e WHERE e.lead_id = :single),
          (SELECT jsonb_agg(e.kind || ' ' || coalesce(e.employee_id, 0) || ' ' || e.to_status_id || ' ' || jsonb_typeof(e.detail->'number'))
             FROM crm.lead_events e WHERE e.lead_id = (SELECT min(id) FROM crm.leads WHERE contact_name LIKE 'Bulk %')),
          'the created event of a multi-row INSERT is the one of a one-row INSERT');
SELECT results_eq(
    $$SELECT lead_id FROM crm.lead_events WHERE lead_id IN (SELECT id FROM crm.leads WHERE contact_name LIKE 'Bulk %') ORDER BY id$$,
    $$SELECT id FROM crm.leads WHERE contact_name LIKE 'Bulk %' ORDER BY id$$,
    'the events are numbered in the order the leads were inserted');

-- The counts: one change row per group, exact.
SELECT results_eq(
    format($$SELECT campaign_id, leads FROM crm.lead_count_changes
              WHERE account_id = %s AND status_id = %s ORDER BY campaign_id NULLS LAST, leads$$, :a, :s_new),
    format($$VALUES (%s::bigint, 1::bigint), (%s, 1), (NULL, 1), (NULL, 1)$$, :search, :social),
    'the counts: the one-row insert''s change, then one change per group the multi-row insert moved');
SELECT results_eq(
    format($$SELECT type_id, status_id, campaign_id, leads FROM crm.lead_group_counts WHERE account_id = %s
              ORDER BY 1, 2, 3 NULLS LAST$$, :a),
    format($$SELECT type_id, status_id, campaign_id, count(*) FROM crm.leads WHERE account_id = %s
              GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS LAST$$, :a),
    'the kept counts equal the leads');

-- A second multi-row statement in the same transaction, and one after a statement that
-- failed after its first row's history was written (in a savepoint): each writes its own.
INSERT INTO crm.leads (contact_name) VALUES ('Second 1'), ('Second 2');
SELECT is((SELECT count(*) FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
            WHERE l.contact_name LIKE 'Second %' AND e.kind = 'created'), 2::bigint,
          'a second multi-row INSERT writes the created events of its own rows');
RESET ROLE;
-- (in crm_test, not pg_temp: on Citus the trigger and its function go to every worker)
CREATE FUNCTION crm_test.refuse_late() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_name = 'Refused late' THEN RAISE EXCEPTION 'refused late' USING ERRCODE = '22P06'; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_refuse_late AFTER INSERT ON crm.leads FOR EACH ROW EXECUTE FUNCTION crm_test.refuse_late();
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SAVEPOINT late;
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('Fine'), ('Refused late'), ('Fine too')$$, '22P06',
                 'refused late', 'a multi-row INSERT refused after its created events were written');
ROLLBACK TO SAVEPOINT late;
INSERT INTO crm.leads (contact_name) VALUES ('After 1'), ('After 2'), ('After 3');
SELECT is((SELECT count(*) FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
            WHERE l.contact_name LIKE 'After %' AND e.kind = 'created'), 3::bigint,
          'after a refused multi-row INSERT, the next one writes the created events of all its rows');
SELECT is((SELECT count(*) FROM crm.leads WHERE contact_name IN ('Fine', 'Refused late', 'Fine too')), 0::bigint,
          'the refused INSERT left no lead');
RESET ROLE;
DROP TRIGGER zz_refuse_late ON crm.leads;
DROP FUNCTION crm_test.refuse_late();

-- COPY (as the owner: COPY FROM does not run under row-level security), and auto mode:
-- each lead's created event comes before its client_linked event (the owner reads every
-- account: the reads name this one).
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Ivan') RETURNING id AS ivan \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Petr') RETURNING id AS petr \gset
INSERT INTO crm.client_phones (account_id, client_id, raw) VALUES (:a, :ivan, '+7 916 555 00 01'), (:a, :petr, '+7 916 555 00 02');
UPDATE crm.accounts SET client_link_mode = 'auto' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
RESET ROLE;
COPY crm.leads (contact_name, contact_phone) FROM STDIN;
Copied 1	89165550001
Copied 2	89165550002
Copied 3	\N
\.
SELECT results_eq(
    format($$SELECT l.contact_name, string_agg(e.kind, ', ' ORDER BY e.id)
        FROM crm.leads l JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id
       WHERE l.account_id = %s AND l.contact_name LIKE 'Copied %%' GROUP BY l.contact_name ORDER BY 1$$, :a),
    $$VALUES ('Copied 1'::text, 'created, client_linked'::text), ('Copied 2', 'created, client_linked'), ('Copied 3', 'created')$$,
    'COPY in auto mode: each lead''s created event, then its client_linked');
SELECT results_eq(
    format($$SELECT l.client_id FROM crm.leads l WHERE l.account_id = %s AND l.contact_name LIKE 'Copied %%' ORDER BY l.contact_name$$, :a),
    format($$VALUES (%s::bigint), (%s), (NULL)$$, :ivan, :petr),
    'COPY in auto mode: the clients linked');

-- Auto order-link mode: a lead of a multi-row INSERT linked to an order (a nested UPDATE
-- of the lead) has the events a one-row INSERT's lead has, in the same order.
UPDATE crm.accounts SET order_link_mode = 'auto' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.orders (phone, amount) VALUES ('+7 903 555 00 01', 10), ('+7 903 555 00 02', 20);
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ordered alone', '+7 903 555 00 01');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ordered 1', '+7 903 555 00 02'), ('Ordered 2', '+7 903 555 00 03');
SELECT results_eq(
    $$SELECT l.contact_name, string_agg(e.kind, ', ' ORDER BY e.id)
        FROM crm.leads l JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id
       WHERE l.contact_name LIKE 'Ordered %' GROUP BY l.contact_name ORDER BY 1$$,
    $$SELECT l.contact_name, x.kinds FROM crm.leads l,
             (SELECT string_agg(e.kind, ', ' ORDER BY e.id) AS kinds FROM crm.lead_events e
               WHERE e.lead_id = (SELECT id FROM crm.leads WHERE contact_name = 'Ordered alone')) x
       WHERE l.contact_name IN ('Ordered alone', 'Ordered 1')
      UNION ALL SELECT 'Ordered 2', 'created' ORDER BY 1$$,
    'auto order link in a multi-row INSERT: the events of a one-row INSERT, in its order');
SELECT results_eq(
    format($$SELECT type_id, status_id, campaign_id, leads, revenue FROM crm.lead_group_counts WHERE account_id = %s
              AND leads <> 0 ORDER BY 1, 2, 3 NULLS LAST$$, :a),
    format($$SELECT l.type_id, l.status_id, l.campaign_id, count(*), coalesce(sum(o.amount), 0)
               FROM crm.leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
              WHERE l.account_id = %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS LAST$$, :a),
    'the kept counts and revenue still equal the leads and their orders');

SELECT * FROM finish();
ROLLBACK;
