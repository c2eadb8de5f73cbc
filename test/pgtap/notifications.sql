-- Notification rules for lead events (article 001: "Settings > Notifications > Leads"),
-- following the article's lead created by hand: contact, phone, campaign, comment,
-- deadline, the urgent box, the location left "not set", the creator as manager; then
-- an order with the same phone linked to it.  And the small ones of lead writes:
-- a negative budget, the board's location.
BEGIN;
SELECT plan(42);

SELECT crm_test.company('Notify A') AS a \gset
SELECT crm_test.company('Notify B') AS b \gset
SELECT crm_test.id('employees', :a, 'Admin') AS admin, crm_test.id('employees', :a, 'Anna') AS anna,
       crm_test.id('employees', :a, 'Boris') AS boris, crm_test.id('employees', :a, 'Gone') AS gone,
       crm_test.id('statuses', :a, 'In work') AS s_work, crm_test.id('statuses', :a, 'Paid order') AS s_paid,
       crm_test.id('campaigns', :a, 'Search') AS search, crm_test.id('locations', :a, 'Moscow') AS moscow \gset

-- The notices of a lead, as "kind recipient: subject".  (PL/pgSQL: Citus plans the
-- statements of a SQL function with parameters once, without their values, and cannot:
-- "could not create distributed plan".)
CREATE FUNCTION pg_temp.notices(lead bigint, event text) RETURNS SETOF text LANGUAGE plpgsql AS
  $$BEGIN
    RETURN QUERY SELECT o.kind || ' ' || coalesce(o.recipient, '-') || ': ' || o.subject FROM crm.outbox o
    WHERE (o.payload ->> 'lead_id')::bigint = lead AND o.payload ->> 'event' = event ORDER BY o.id;
  END$$;

-- ---- the rules: a new account has the overdue notice to the manager ----
SELECT results_eq(format($$SELECT event, notify, employee_id, channel FROM crm.notification_rules WHERE account_id = %s$$, :a),
    $$VALUES ('lead_overdue', 'manager', NULL::bigint, 'notification')$$,
    'a new account starts with one rule: the overdue notice to the lead''s manager, in-app');

SELECT crm_test.act('crm_test_admin', :a, 'Admin');
INSERT INTO crm.notification_rules (event, notify, employee_id, channel) VALUES
    ('lead_created', 'manager', NULL, 'email'),
    ('lead_created', 'creator', NULL, 'email'),
    ('lead_created', 'admins', NULL, 'notification'),
    ('lead_urgent', 'employee', :boris, 'email'),
    ('lead_urgent', 'employee', :gone, 'email'),
    ('lead_status_changed', 'creator', NULL, 'email'),
    ('lead_manager_changed', 'manager', NULL, 'notification'),
    ('lead_order_linked', 'manager', NULL, 'email'),
    ('lead_order_linked', 'creator', NULL, 'email'),
    ('lead_overdue', 'admins', NULL, 'email');
SELECT is((SELECT count(*) FROM crm.notification_rules), 11::bigint, 'an admin adds rules to the account');
SELECT throws_ok($$INSERT INTO crm.notification_rules (event, notify, channel) VALUES ('lead_created', 'employee', 'email')$$,
    '23502', 'a rule that notifies an employee needs employee_id', 'notify employee without employee_id is refused');
SELECT throws_ok(format($$INSERT INTO crm.notification_rules (event, notify, employee_id) VALUES ('lead_created', 'manager', %s)$$, :anna),
    '22023', format('employee_id %s is only for a rule that notifies an employee', :anna), 'an employee_id on a manager rule is refused');
SELECT throws_ok($$INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_deleted', 'manager')$$,
    '22023', NULL, 'an unknown event is refused');
SELECT throws_ok($$INSERT INTO crm.notification_rules (event, notify, channel) VALUES ('lead_created', 'manager', 'sms')$$,
    '22023', NULL, 'an unknown channel is refused');
SELECT throws_ok($$INSERT INTO crm.notification_rules (event, notify, channel) VALUES ('lead_created', 'manager', 'email')$$,
    '23505', NULL, 'the same rule twice is refused');
RESET ROLE;

SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$INSERT INTO crm.notification_rules (event, notify) VALUES ('lead_created', 'admins')$$,
    '42501', NULL, 'a manager cannot add rules');
SELECT is((SELECT count(*) FROM crm.notification_rules), 11::bigint, 'a manager reads the account''s rules');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :b, 'Admin');
SELECT is((SELECT count(*) FROM crm.notification_rules), 1::bigint, 'another account sees only its own rules');
SELECT is((SELECT count(*) FROM crm.notification_rules WHERE account_id = :a), 0::bigint, '... and none of account A''s');
RESET ROLE;

-- ---- article 001, step 1: Anna creates a lead by hand ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, contact_phone, campaign_id, comment, deadline, urgent)
    VALUES ('Ivan Petrov', '8 (916) 123-45-67', :search, 'wants a quote', '2030-01-10 18:00+03', true)
    RETURNING id AS l, number AS n \gset
SELECT is((SELECT manager_id FROM crm.leads WHERE id = :l), :'anna'::bigint, 'the creator is the lead''s manager');
SELECT is((SELECT location FROM crm.lead_board WHERE id = :l), 'not set', 'a lead without location shows "not set" on the board');
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_created')$$, :l),
    format($$VALUES ('notification admin@example.com: New lead %1$s'), ('email anna@example.com: New lead %1$s')$$, :'n'),
    'lead_created: the admins in-app, and Anna, manager and creator, one email');
SELECT is((SELECT body FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_created' AND kind = 'email'),
    format('Lead %s (Ivan Petrov) was created in status "New".', :'n'), 'the body names the lead, its contact and status');
SELECT results_eq(format($$SELECT employee_id, dedup_key FROM crm.outbox
                           WHERE (payload ->> 'lead_id')::bigint = %s AND payload ->> 'event' = 'lead_created' ORDER BY id$$, :l),
    format($$VALUES (%1$s::bigint, 'lead_created:%3$s:notification:%1$s'), (%2$s::bigint, 'lead_created:%3$s:email:%2$s')$$, :admin, :anna, :l),
    'each notice names its employee, and is keyed per lead, channel and employee');
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_urgent')$$, :l),
    format($$VALUES ('email boris@example.com: Lead %s is urgent')$$, :'n'),
    'the urgent box tells Boris; Gone, inactive, is never told');
UPDATE crm.leads SET location_id = :moscow WHERE id = :l;
SELECT is((SELECT location FROM crm.lead_board WHERE id = :l), 'Moscow', 'the board shows the lead''s location');

-- A write rolled back queues nothing.
SAVEPOINT before_lead;
INSERT INTO crm.leads (contact_name) VALUES ('Rolled back') RETURNING id AS l_back \gset
ROLLBACK TO SAVEPOINT before_lead;
SELECT is((SELECT count(*) FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l_back), 0::bigint,
    'the notices of a rolled-back lead go with it');

-- ---- the lead moves on ----
SELECT crm.transition_lead(:l, :s_work, 'called back') IS NOT NULL AS moved \gset
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_status_changed')$$, :l),
    format($$VALUES ('email anna@example.com: Lead %s moved to "In work"')$$, :'n'),
    'lead_status_changed: the creator is told');
SELECT is((SELECT body FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_status_changed'),
    format('Lead %s (Ivan Petrov) moved from "New" to "In work".', :'n'), '... with both statuses');
UPDATE crm.leads SET manager_id = :boris WHERE id = :l;
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_manager_changed')$$, :l),
    format($$VALUES ('notification boris@example.com: Lead %s has a new manager')$$, :'n'),
    'lead_manager_changed: the new manager gets an in-app notice');
SELECT is((SELECT employee_id FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_manager_changed'),
    :'boris'::bigint, '... for Boris (outbox.employee_id)');
SELECT is((SELECT body FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_manager_changed'),
    format('Lead %s (Ivan Petrov, status "In work") is now managed by Boris (before: Anna).', :'n'), '... naming both managers');
UPDATE crm.leads SET urgent = false WHERE id = :l;
SELECT is((SELECT count(*) FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_urgent'),
    1::bigint, 'turning urgent off tells no one');
UPDATE crm.leads SET urgent = true WHERE id = :l;
SELECT is((SELECT count(*) FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_urgent'),
    2::bigint, 'turning it on again is a new notice');

-- ---- article 001: a new order with the lead's phone, linked ----
INSERT INTO crm.orders (phone, amount) VALUES ('+7 916 123 45 67', 5000) RETURNING id AS o, number AS o_number \gset
-- Anna again, before link_order and after it: link_order writes as the schema owner, and
-- on Citus it and the reads after it are steps of their own (a user may not touch the
-- shards another one modified in the transaction, 25001)
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is((crm.link_order(:o, :l)).status_id, :'s_paid'::bigint, 'linking the order moves the lead to the order status');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_order_linked')$$, :l),
    format($$VALUES ('email anna@example.com: Lead %1$s is linked to order %2$s'),
                    ('email boris@example.com: Lead %1$s is linked to order %2$s')$$, :'n', :'o_number'),
    'lead_order_linked: the manager and the creator are told');
SELECT is((SELECT body FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_order_linked'
           AND employee_id = :anna),
    format('Order %s was linked to lead %s (Ivan Petrov), now in status "Paid order".', :'o_number', :'n'), '... naming order, lead and status');
SELECT is((SELECT count(*) FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l AND payload ->> 'event' = 'lead_status_changed'),
    2::bigint, 'the move to the order status is a status change too');
RESET ROLE;

-- ---- the overdue notice is a rule ----
-- The owner's run_due below does every account's due work: on a shared Citus cluster the
-- other files' committed leads due by then are done first (on one server none are there).
SELECT count(*) AS other_kinds FROM crm.run_due('2001-02-03 10:00:01+00', 10000) \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Late', '2001-02-03 10:00+00') RETURNING id AS l_late, number AS n_late \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Nobody''s', '2001-02-03 10:00+00')
    RETURNING id AS l_none, number AS n_none \gset
UPDATE crm.leads SET manager_id = NULL WHERE id = :l_none;
RESET ROLE;
SELECT is((SELECT handled FROM crm.run_due('2001-02-03 10:00:01+00', 100) WHERE kind = 'lead_overdue'), 2::bigint,
    'run_due marks both leads overdue');
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_overdue')$$, :l_late),
    format($$VALUES ('email admin@example.com: Lead %1$s is overdue'), ('notification anna@example.com: Lead %1$s is overdue')$$, :'n_late'),
    'lead_overdue: the manager in-app (the default rule), and the admins by email');
SELECT is((SELECT body FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l_late AND payload ->> 'event' = 'lead_overdue' AND kind = 'notification'),
    format('The deadline of lead %s (Late) passed at 2001-02-03 13:00:00 Europe/Moscow.', :'n_late'),
    'the overdue notice keeps its text: the deadline in the account''s timezone');
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_overdue')$$, :l_none),
    format($$VALUES ('email admin@example.com: Lead %s is overdue')$$, :'n_none'),
    'a lead without a manager: only the admins are told');
SELECT is((SELECT dedup_key FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = :l_late AND payload ->> 'event' = 'lead_overdue' AND kind = 'notification'),
    format('lead_overdue:%s:%s:notification:%s', :l_late, date_part('epoch', '2001-02-03 10:00+00'::timestamptz), :anna),
    'a deadline is announced once per lead, deadline, channel and employee');

-- The delivery worker claims the new rows like any other (due by the clock: on Citus a row
-- queued on a worker node is dated by the worker's transaction, which began after this one).
SELECT ok((SELECT count(*) FROM crm.claim_outbox(ARRAY['email', 'notification'], 1000, '5 minutes', clock_timestamp())
           WHERE account_id = :a) = (SELECT count(*) FROM crm.outbox WHERE account_id = :a),
    'crm.claim_outbox hands every notice to the delivery worker');

-- ---- rules change at once, in the same transaction ----
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
DELETE FROM crm.notification_rules WHERE event = 'lead_created';
INSERT INTO crm.notification_rules (event, notify, employee_id, channel) VALUES ('lead_created', 'employee', :boris, 'email');
INSERT INTO crm.leads (contact_name) VALUES ('After the change') RETURNING id AS l_after \gset
SELECT results_eq(format($$SELECT employee_id FROM crm.outbox WHERE (payload ->> 'lead_id')::bigint = %s$$, :l_after),
    format($$VALUES (%s::bigint)$$, :boris), 'a rule changed in the transaction applies to its next lead');
UPDATE crm.employees SET email = NULL WHERE id = :boris;
INSERT INTO crm.notification_rules (event, notify, employee_id, channel) VALUES ('lead_created', 'employee', :boris, 'notification');
INSERT INTO crm.leads (contact_name) VALUES ('No email') RETURNING id AS l_noemail, number AS n_noemail \gset
SELECT results_eq(format($$SELECT * FROM pg_temp.notices(%s, 'lead_created')$$, :l_noemail),
    format($$VALUES ('notification -: New lead %s')$$, :'n_noemail'),
    'an employee without email gets the in-app notice only');
RESET ROLE;

-- ---- point 11: a negative budget ----
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, budget) VALUES ('Minus', -5)$$, '22023', 'budget -5.00 is negative',
    'a negative lead budget is refused, naming the value');
SELECT throws_ok(format($$UPDATE crm.leads SET budget = -0.01 WHERE id = %s$$, :l), '22023', 'budget -0.01 is negative',
    'also on update');
SELECT lives_ok(format($$UPDATE crm.leads SET budget = 0 WHERE id = %s$$, :l), 'a budget of 0 is taken');
RESET ROLE;

-- Account B wrote no lead: its rules queued nothing.
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :b), 0::bigint, 'an account with no lead events has no notices');

SELECT * FROM finish();
ROLLBACK;
