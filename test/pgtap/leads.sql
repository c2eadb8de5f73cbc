-- Lead lifecycle: defaults, numbering, transitions, closing, history, board views.
BEGIN;
SELECT plan(46);

SELECT crm_test.company('Leads A') AS a \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'In work') AS s_work,
       crm_test.id('statuses', :a, 'Won') AS s_won, crm_test.id('statuses', :a, 'Lost') AS s_lost,
       crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('lead_types', :a, 'Repair') AS t_repair,
       crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris \gset
SELECT crm_test.company('Leads B') AS b \gset
SELECT crm_test.id('statuses', :b, 'Won') AS b_won \gset

SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Defaults on insert.
INSERT INTO crm.leads (contact_name) VALUES ('First') RETURNING id AS l1 \gset
SELECT is((SELECT number FROM crm.leads WHERE id = :l1), 'L-00001', 'the default type numbers with L-{N:5}');
SELECT is((SELECT type_id FROM crm.leads WHERE id = :l1), :'t_sales'::bigint, 'type defaults to the default lead type');
SELECT is((SELECT status_id FROM crm.leads WHERE id = :l1), :'s_new'::bigint, 'status defaults to the type''s initial status');
SELECT is((SELECT manager_id FROM crm.leads WHERE id = :l1), :'anna'::bigint, 'manager defaults to the current employee');
SELECT is((SELECT account_id FROM crm.leads WHERE id = :l1), :'a'::bigint, 'account_id defaults to crm.account_id');
SELECT ok((SELECT closed_at IS NULL AND status_changed_at = created_at FROM crm.leads WHERE id = :l1),
    'a new open lead is not closed and its status time is its creation time');
INSERT INTO crm.leads (contact_name, manager_id) VALUES ('Second', :boris) RETURNING id AS l2 \gset
SELECT is((SELECT number FROM crm.leads WHERE id = :l2), 'L-00002', 'numbers follow on');
SELECT is((SELECT manager_id FROM crm.leads WHERE id = :l2), :'boris'::bigint, 'an explicit manager is kept');

-- {YYYY} uses the account's timezone (Europe/Moscow, UTC+3): 21:30 UTC on 31 Dec is already next year.
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair 1', :t_repair, '2025-12-31 21:30:00+00') RETURNING number AS r1 \gset
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair 2', :t_repair, '2025-12-31 20:30:00+00') RETURNING number AS r2 \gset
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair 3', :t_repair, '2026-03-01 10:00:00+00') RETURNING number AS r3 \gset
SELECT is(:'r1'::text, 'R-2026-1', '{YYYY} is the year in the account''s timezone');
SELECT is(:'r2'::text, 'R-2025-1', 'the counter restarts for each expansion of the template');
SELECT is(:'r3'::text, 'R-2026-2', 'the 2026 counter continues');

-- Bulk insert: gapless and unique in one statement.
-- (VALUES: on Citus an INSERT ... SELECT of a crm role becomes a COPY, refused under RLS)
SELECT string_agg(format('(%L)', 'bulk ' || g), ', ') AS bulk FROM generate_series(1, 500) g \gset
INSERT INTO crm.leads (contact_name) VALUES :bulk;
SELECT is((SELECT count(DISTINCT number) FROM crm.leads WHERE contact_name LIKE 'bulk %'), 500::bigint,
    'a bulk insert gives distinct numbers');
SELECT is((SELECT max(number_seq) FROM crm.leads WHERE type_id = :t_sales), 502::bigint,
    'a bulk insert leaves no gap');

-- A rolled-back insert leaves no gap.
SAVEPOINT s1;
INSERT INTO crm.leads (contact_name) VALUES ('rolled back');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO crm.leads (contact_name) VALUES ('after rollback') RETURNING number AS n_after \gset
SELECT is(:'n_after'::text, 'L-00503', 'a rolled-back number is handed out again, so there is no gap');

-- Derived and fixed columns.
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, number) VALUES ('x', 'L-99999')$$, '428C9',
    'cannot insert a value into column "number" of crm.leads', 'number cannot be written');
SELECT throws_ok(format($$UPDATE crm.leads SET number = 'X' WHERE id = %s$$, :l1), '55000',
    'column "number" of a lead cannot be changed', 'number cannot be changed');
SELECT throws_ok(format($$UPDATE crm.leads SET created_at = now() - interval '1 day' WHERE id = %s$$, :l1), '55000',
    'column "created_at" of a lead cannot be changed', 'created_at cannot be changed');
SELECT throws_ok(format($$INSERT INTO crm.leads (contact_name, type_id) VALUES ('x', %s)$$, 999999), '23503',
    'lead type 999999 does not exist', 'an unknown type is refused');
SELECT throws_ok(format($$INSERT INTO crm.leads (contact_name, status_id) VALUES ('x', %s)$$, :b_won), '23503',
    format('status %s does not exist', :b_won), 'a status of another account is refused');
SELECT throws_ok(format($$DELETE FROM crm.leads WHERE id = %s$$, :l1), '42501', NULL, 'a manager cannot delete leads');

-- Transitions.
SELECT results_eq(format('SELECT to_status_id, name, kind FROM crm.allowed_transitions(%s)', :l1),
    format($$VALUES (%s::bigint, 'In work'::text, 'open'::text), (%s, 'Lost', 'lost')$$, :s_work, :s_lost),
    'allowed_transitions lists exactly the rules from New');
SELECT throws_ok(format('SELECT crm.transition_lead(%s, %s)', :l1, :s_won), '55000',
    'lead "L-00001" cannot move from "New" to "Won"', 'a move without a rule is refused');
SELECT is((SELECT status_id FROM crm.leads WHERE id = :l1), :'s_new'::bigint, 'a refused move leaves the status');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id = :l1), 1::bigint, 'a refused move writes no history');
SELECT throws_ok(format('UPDATE crm.leads SET status_id = %s WHERE id = %s', :s_won, :l1), '55000', NULL,
    'a plain UPDATE obeys the same rules');
SELECT lives_ok(format($$SELECT crm.transition_lead(%s, %s, 'called back')$$, :l1, :s_work), 'New -> In work is allowed');
SELECT ok((SELECT status_changed_at = now() AND closed_at IS NULL FROM crm.leads WHERE id = :l1),
    'the status time is the transaction time; the lead stays open');
SELECT ok((SELECT closed_at = status_changed_at FROM crm.transition_lead(:l1, :s_won)), 'moving to a won status closes the lead at its status time');
SELECT results_eq(format('SELECT to_status_id FROM crm.allowed_transitions(%s)', :l1),
    format('VALUES (%s::bigint), (%s), (%s), (%s)', :s_new, :s_work, :s_lost, crm_test.id('statuses', :a, 'Paid order')),
    'a status with no rules allows any move');
SELECT is((SELECT (crm.transition_lead(:l1, :s_work)).closed_at), NULL, 'reopening clears closed_at');
SELECT throws_ok(format('SELECT crm.transition_lead(%s, %s)', 999999, :s_work), 'P0002',
    'lead 999999 does not exist', 'transition of an unknown lead');
SELECT throws_ok(format('SELECT crm.transition_lead(%s, %s)', :l1, :b_won), '23503', NULL,
    'a status of another account is refused on transition');

-- Lead types without rules allow any move.
INSERT INTO crm.leads (contact_name, type_id) VALUES ('Repair free', :t_repair) RETURNING id AS lr \gset
SELECT lives_ok(format('SELECT crm.transition_lead(%s, %s)', :lr, :s_won), 'a type with no rules allows New -> Won');

-- History.
SELECT results_eq(format($$SELECT kind, from_status_id, to_status_id, employee_id, detail->>'comment'
                          FROM crm.lead_events WHERE lead_id = %s ORDER BY id$$, :l1),
    format($$VALUES ('created'::text, NULL::bigint, %1$s::bigint, %5$s::bigint, NULL::text),
                    ('status_changed', %1$s, %2$s, %5$s, 'called back'),
                    ('status_changed', %2$s, %3$s, %5$s, NULL),
                    ('status_changed', %3$s, %2$s, %5$s, NULL)$$, :s_new, :s_work, :s_won, :s_lost, :anna),
    'every change is in the history with the employee and comment');
UPDATE crm.leads SET deadline = '2026-01-10 12:00+00' WHERE id = :l2;
SELECT is((SELECT detail->>'to' FROM crm.lead_events WHERE lead_id = :l2 AND kind = 'deadline_changed'),
    '2026-01-10T12:00:00+00:00', 'a deadline change is recorded with its new value');
SELECT throws_ok(format($$UPDATE crm.lead_events SET kind = 'x' WHERE lead_id = %s$$, :l1), '42501', NULL,
    'a manager cannot rewrite history');
RESET ROLE;
SELECT throws_ok(format($$UPDATE crm.lead_events SET kind = 'x' WHERE lead_id = %s$$, :l1), '42501',
    'rows of "crm.lead_events" cannot be updated', 'not even the owner can update an event');
SELECT throws_ok(format($$DELETE FROM crm.lead_events WHERE lead_id = %s$$, :l1), '42501',
    'rows of "crm.lead_events" cannot be deleted', 'not even the owner can delete an event');
SELECT throws_ok('TRUNCATE crm.lead_events CASCADE', '42501', NULL, 'not even the owner can truncate the history');
SELECT throws_ok(format($$DELETE FROM crm.leads WHERE id = %s$$, :l1), '42501',
    'rows of "crm.leads" cannot be deleted', 'not even the owner can delete a lead');

-- Template validation.
SELECT throws_ok(format($$INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (%s, 'Bad', %s, 'X-{DD}-{N}')$$, :a, :s_new),
    '22023', 'invalid number template "X-{DD}-{N}"', 'an unknown placeholder is refused');
SELECT throws_ok(format($$INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (%s, 'Bad', %s, 'X-{YYYY}')$$, :a, :s_new),
    '22023', NULL, 'a template without {N} is refused');

-- Board views at the time of the query.
UPDATE crm.leads SET deadline = now() - interval '90 minutes', urgent = true WHERE id = :l2;
SELECT crm_test.act('crm_test_reader', :a);
-- (each view read names the account: on Citus its query then goes to the account's worker)
SELECT results_eq(format('SELECT overdue, overdue_for, urgent FROM crm.lead_board WHERE account_id = %s AND id = %s', :a, :l2),
    $$VALUES (true, interval '90 minutes', true)$$, 'lead_board computes overdue and overdue_for now');
SELECT results_eq('SELECT manager, overdue, urgent FROM crm.lead_badges ORDER BY id NULLS LAST',
    $$VALUES ('Boris'::text, 1::bigint, 1::bigint), ('total', 1, 1)$$, 'lead_badges counts per manager and in total');
SELECT sum(leads) AS funnel_leads FROM crm.funnel WHERE account_id = :a \gset
SELECT is(:'funnel_leads'::numeric, (SELECT count(*) FROM crm.leads)::numeric, 'the funnel counts every lead');
SELECT results_eq(format('SELECT campaign, leads, won FROM crm.campaign_report WHERE account_id = %s', :a),
    (SELECT format($$VALUES ('no campaign'::text, %s::bigint, 1::bigint)$$, count(*)) FROM crm.leads),
    'campaign_report counts leads and won per campaign');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
