-- behaviour.sql: the core lead rules, run against crm and against the PL/pgSQL
-- variant (test/bench/plpgsql_variant.sql) so that the benchmark compares
-- implementations of the same behaviour.  Transitions go through a plain
-- UPDATE, which both implement; error texts are compared where both raise them.
BEGIN;
SELECT plan(28);

SELECT crm_test.company('Bench A') AS a \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'In work') AS s_work,
       crm_test.id('statuses', :a, 'Won') AS s_won, crm_test.id('statuses', :a, 'Lost') AS s_lost,
       crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('lead_types', :a, 'Repair') AS t_repair,
       crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris \gset
SELECT crm_test.company('Bench B') AS b \gset
SELECT crm_test.id('statuses', :b, 'Won') AS b_won \gset

SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Defaults and numbering.
INSERT INTO crm.leads (contact_name) VALUES ('First') RETURNING id AS l1 \gset
SELECT is((SELECT number FROM crm.leads WHERE id = :l1), 'L-00001', 'the default type numbers with L-{N:5}');
SELECT is((SELECT type_id FROM crm.leads WHERE id = :l1), :'t_sales'::bigint, 'type defaults to the default lead type');
SELECT is((SELECT status_id FROM crm.leads WHERE id = :l1), :'s_new'::bigint, 'status defaults to the type''s initial status');
SELECT is((SELECT manager_id FROM crm.leads WHERE id = :l1), :'anna'::bigint, 'manager defaults to the current employee');
SELECT ok((SELECT closed_at IS NULL AND status_changed_at = created_at FROM crm.leads WHERE id = :l1),
    'a new open lead is open and its status time is its creation time');
INSERT INTO crm.leads (contact_name, manager_id) VALUES ('Second', :boris) RETURNING id AS l2 \gset
SELECT is((SELECT number FROM crm.leads WHERE id = :l2), 'L-00002', 'numbers follow on');
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair 1', :t_repair, '2025-12-31 21:30:00+00') RETURNING number AS r1 \gset
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair 2', :t_repair, '2025-12-31 20:30:00+00') RETURNING number AS r2 \gset
SELECT is(:'r1'::text, 'R-2026-1', '{YYYY} is the year in the account''s timezone');
SELECT is(:'r2'::text, 'R-2025-1', 'the counter restarts for each expansion of the template');
INSERT INTO crm.leads (contact_name) SELECT 'bulk ' || g FROM generate_series(1, 300) g;
SELECT is((SELECT count(DISTINCT number) FROM crm.leads WHERE contact_name LIKE 'bulk %'), 300::bigint,
    'a bulk insert gives distinct numbers');
SELECT is((SELECT max(number_seq) FROM crm.leads WHERE type_id = :t_sales), 302::bigint, 'a bulk insert leaves no gap');
SAVEPOINT s1;
INSERT INTO crm.leads (contact_name) VALUES ('rolled back');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO crm.leads (contact_name) VALUES ('after rollback') RETURNING number AS n_after \gset
SELECT is(:'n_after'::text, 'L-00303', 'a rolled-back number is handed out again');

-- Refusals.
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, number) VALUES ('x', 'L-99999')$$, '428C9',
    'cannot insert a value into column "number" of crm.leads', 'number cannot be written');
SELECT throws_ok(format($$UPDATE crm.leads SET number = 'X' WHERE id = %s$$, :l1), '55000',
    'column "number" of a lead cannot be changed', 'number cannot be changed');
SELECT throws_ok(format($$INSERT INTO crm.leads (contact_name, type_id) VALUES ('x', %s)$$, 999999), '23503',
    'lead type 999999 does not exist', 'an unknown type is refused');
SELECT throws_ok(format($$INSERT INTO crm.leads (contact_name, status_id) VALUES ('x', %s)$$, :b_won), '23503',
    format('status %s does not exist', :b_won), 'a status of another account is refused');

-- Transitions.
SELECT throws_ok(format('UPDATE crm.leads SET status_id = %s WHERE id = %s', :s_won, :l1), '55000',
    'lead "L-00001" cannot move from "New" to "Won"', 'a move without a rule is refused');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id = :l1), 1::bigint, 'a refused move writes no history');
UPDATE crm.leads SET status_id = :s_work WHERE id = :l1;
SELECT ok((SELECT status_id = :s_work AND status_changed_at = now() AND closed_at IS NULL FROM crm.leads WHERE id = :l1),
    'New -> In work is allowed; the status time is the transaction time');
UPDATE crm.leads SET status_id = :s_won WHERE id = :l1;
SELECT is((SELECT closed_at FROM crm.leads WHERE id = :l1), now(), 'moving to a won status closes the lead');
UPDATE crm.leads SET status_id = :s_work WHERE id = :l1;
SELECT is((SELECT closed_at FROM crm.leads WHERE id = :l1), NULL, 'a status with no rules allows any move; reopening clears closed_at');
INSERT INTO crm.leads (contact_name, type_id) VALUES ('Repair free', :t_repair) RETURNING id AS lr \gset
SELECT lives_ok(format('UPDATE crm.leads SET status_id = %s WHERE id = %s', :s_won, :lr), 'a type with no rules allows New -> Won');

-- History.
SELECT results_eq(format($$SELECT kind, from_status_id, to_status_id, employee_id, detail
                          FROM crm.lead_events WHERE lead_id = %s ORDER BY id$$, :l1),
    format($$VALUES ('created'::text, NULL::bigint, %1$s::bigint, %4$s::bigint, '{"number": "L-00001"}'::jsonb),
                    ('status_changed', %1$s, %2$s, %4$s, '{"by": "employee", "comment": null}'),
                    ('status_changed', %2$s, %3$s, %4$s, '{"by": "employee", "comment": null}'),
                    ('status_changed', %3$s, %2$s, %4$s, '{"by": "employee", "comment": null}')$$,
           :s_new, :s_work, :s_won, :anna),
    'every change is in the history with the employee');
UPDATE crm.leads SET deadline = '2026-01-10 12:00+00' WHERE id = :l2;
SELECT is((SELECT detail FROM crm.lead_events WHERE lead_id = :l2 AND kind = 'deadline_changed'),
    '{"from": null, "to": "2026-01-10T12:00:00+00:00"}'::jsonb, 'a deadline change is recorded with its values');
UPDATE crm.leads SET manager_id = :anna WHERE id = :l2;
SELECT is((SELECT detail FROM crm.lead_events WHERE lead_id = :l2 AND kind = 'manager_changed'),
    format('{"from": %s, "to": %s}', :boris, :anna)::jsonb, 'a manager change is recorded');
RESET ROLE;
SELECT throws_ok(format($$DELETE FROM crm.leads WHERE id = %s$$, :l1), '42501',
    'rows of "crm.leads" cannot be deleted', 'not even the owner can delete a lead');
SELECT throws_ok(format($$UPDATE crm.lead_events SET kind = 'x' WHERE lead_id = %s$$, :l1), '42501',
    'rows of "crm.lead_events" cannot be updated', 'not even the owner can rewrite history');

-- Kept-up counts: the reports equal the same counts made from the leads.
SET crm.account_id = :'a';
SELECT results_eq('SELECT type_id, status_id, leads FROM crm.funnel ORDER BY 1, 2',
    'SELECT type_id, status_id, count(*) FROM crm.leads GROUP BY 1, 2 ORDER BY 1, 2',
    'the funnel is kept up through inserts and transitions');
SELECT results_eq('SELECT id, leads, open, won, lost FROM crm.campaign_report ORDER BY id NULLS LAST',
    $$SELECT l.campaign_id, count(*), count(*) FILTER (WHERE s.kind = 'open'), count(*) FILTER (WHERE s.kind = 'won'),
             count(*) FILTER (WHERE s.kind = 'lost')
      FROM crm.leads l JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
      GROUP BY 1 ORDER BY 1 NULLS LAST$$,
    'the campaign report is kept up through inserts and transitions');
RESET crm.account_id;

SELECT * FROM finish();
ROLLBACK;
