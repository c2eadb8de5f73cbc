-- crm.run_due at exact instants: lead deadlines (now > deadline), exactly once,
-- in batches and due order; who may call it; crm.next_due.
BEGIN;
SELECT plan(36);

SELECT crm_test.company('Sched A') AS a \gset
SELECT crm_test.company('Sched B') AS b \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :b, 'Boris') AS b_boris,
       crm_test.id('statuses', :a, 'Lost') AS s_lost \gset

-- The instants used below; far in the past so nothing else in the database is due.
\set d '''2001-02-03 10:00:00+00'''
SELECT (:d::timestamptz - interval '1 microsecond') AS before, (:d::timestamptz + interval '1 microsecond') AS after \gset
-- What is due before this file writes anything: nothing in a database of its own; on a
-- shared one (crm's pgTAP files through the Citus coordinator), what other files left.
CREATE TEMP TABLE due_before AS SELECT crm.next_due() AS at;

SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Due', :d) RETURNING id AS l_due, number AS n_due \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Closed', :d) RETURNING id AS l_closed \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Moved', :d) RETURNING id AS l_moved \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Removed', :d) RETURNING id AS l_removed \gset
INSERT INTO crm.leads (contact_name) VALUES ('No deadline') RETURNING id AS l_none \gset
-- Before the deadline passes: one lead is closed, one moved later, one has its deadline removed.
SELECT crm.transition_lead(:l_closed, :s_lost);
UPDATE crm.leads SET deadline = :d::timestamptz + interval '1 day' WHERE id = :l_moved;
UPDATE crm.leads SET deadline = NULL WHERE id = :l_removed;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :b, 'Boris');
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Other account', :d::timestamptz + interval '1 second') RETURNING id AS l_b \gset
RESET ROLE;

SELECT ok((SELECT count(*) = count(DISTINCT kind) AND bool_or(kind = 'lead_overdue') FROM crm.run_due(:'before', 100)),
    'run_due returns one row per kind, including lead_overdue');
SELECT is((SELECT handled FROM crm.run_due(:'before', 100) WHERE kind = 'lead_overdue'), 0::bigint,
    'one microsecond before the deadline nothing is due');
SELECT is((SELECT handled FROM crm.run_due(:d, 100) WHERE kind = 'lead_overdue'), 0::bigint,
    'at the deadline itself nothing is due yet (now > deadline)');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_due), NULL, 'the lead is not overdue at its deadline');
SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'lead_overdue'), 1::bigint,
    'one microsecond after the deadline the lead is handled');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_due), :d::timestamptz,
    'overdue_since is the deadline, the instant it became overdue');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE account_id = :a AND lead_id = :l_due AND kind = 'deadline_expired'),
    1::bigint, 'a deadline_expired event is recorded');
SELECT is((SELECT (detail->>'overdue_since')::timestamptz FROM crm.lead_events
           WHERE account_id = :a AND lead_id = :l_due AND kind = 'deadline_expired'), :d::timestamptz,
    'the event carries the overdue time');
SELECT is((SELECT recipient FROM crm.outbox WHERE account_id = :a AND payload->>'lead_id' = :'l_due'),
    'anna@example.com', 'the manager is notified through the outbox');
SELECT is((SELECT kind || ' / ' || subject FROM crm.outbox WHERE account_id = :a AND payload->>'lead_id' = :'l_due'),
    'notification / Lead ' || :'n_due' || ' is overdue', 'the notification names the lead');
SELECT is((SELECT (payload->>'manager_id')::bigint FROM crm.outbox WHERE account_id = :a AND payload->>'lead_id' = :'l_due'),
    :'anna'::bigint, 'the payload names the manager');

SELECT is((SELECT handled FROM crm.run_due(:'after', 100) WHERE kind = 'lead_overdue'), 0::bigint,
    'running again at the same instant does nothing');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '1 hour', 100) WHERE kind = 'lead_overdue'), 1::bigint,
    'an hour later only the other account''s lead is new');
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :a AND payload->>'lead_id' = :'l_due'), 1::bigint,
    'the notification is written once');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_b), :d::timestamptz + interval '1 second',
    'run_due works across accounts');
SELECT is((SELECT recipient FROM crm.outbox WHERE account_id = :b AND payload->>'lead_id' = :'l_b'),
    'boris@example.com', 'each account''s notification goes to its own manager');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_closed), NULL, 'a lead closed in time is not marked');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_moved), NULL, 'a deadline moved later is not acted on');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_removed), NULL, 'a removed deadline is not acted on');
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_none), NULL, 'a lead without deadline is never due');

-- The moved deadline: due just after its new instant.
SELECT is(crm.next_due(), :d::timestamptz + interval '1 day' + interval '1 microsecond',
    'next_due is just after the earliest pending deadline');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '1 day', 100) WHERE kind = 'lead_overdue'), 0::bigint,
    'at the moved deadline nothing is due yet');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '1 day 1 microsecond', 100) WHERE kind = 'lead_overdue'),
    1::bigint, 'just after the moved deadline the lead is handled');

-- A new deadline on an overdue lead: no longer overdue, and due again at the new deadline.
UPDATE crm.leads SET deadline = :d::timestamptz + interval '2 days' WHERE id = :l_due;
SELECT is((SELECT overdue_since FROM crm.leads WHERE id = :l_due), NULL, 'a new deadline clears overdue_since');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '3 days', 100) WHERE kind = 'lead_overdue'), 1::bigint,
    'the new deadline is acted on when it passes');
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :a AND payload->>'lead_id' = :'l_due'), 2::bigint,
    'each deadline is announced once: the new one gets its own notification');

-- Batches: at most max_items per call, oldest deadline first.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, deadline)
    SELECT 'batch ' || g, :d::timestamptz + interval '10 days' - g * interval '1 minute' FROM generate_series(1, 5) g;
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '11 days', 2) WHERE kind = 'lead_overdue'), 2::bigint,
    'max_items bounds one call');
SELECT is((SELECT array_agg(contact_name ORDER BY contact_name) FROM crm.leads
           WHERE account_id = :a AND contact_name LIKE 'batch %' AND overdue_since IS NOT NULL),
    ARRAY['batch 4', 'batch 5'], 'the oldest deadlines go first');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '11 days', 2) WHERE kind = 'lead_overdue'), 2::bigint,
    'the next call takes the next batch');
SELECT is((SELECT handled FROM crm.run_due(:d::timestamptz + interval '11 days', 2) WHERE kind = 'lead_overdue'), 1::bigint,
    'and the last one the rest');
-- (Its own account's: the owner's next_due() is every account's, and other files leave
-- committed due items on a shared Citus cluster.)
SELECT crm_test.act('crm_test_admin', :a);
SELECT is(crm.next_due(), NULL::timestamptz, 'with nothing of its own pending next_due is what it was before (NULL: nothing due)');
RESET ROLE;

-- Arguments and rights.
SELECT throws_ok($$SELECT * FROM crm.run_due(now(), 0)$$, '22023', 'max_items must be positive',
    'max_items must be positive');
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT is((SELECT handled FROM crm.run_due(:'after', 10) WHERE kind = 'lead_overdue'), 0::bigint,
    'crm_admin may run due work by the clock');
SELECT throws_ok($$SELECT * FROM crm.run_due(now() + interval '1 hour')$$, '42501',
    'only the owner of schema crm may run due work ahead of time',
    'crm_admin may not act ahead of the clock on every account');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$SELECT * FROM crm.run_due()$$, '42501', NULL, 'a manager may not run due work');
RESET ROLE;
SELECT is((SELECT count(*) FROM crm.scheduler_status()), 0::bigint,
    'without preloading the scheduler serves no database');

SELECT * FROM finish();
ROLLBACK;
