-- Lead reports: the kept-up lead counts (crm.lead_group_counts = crm.lead_counts
-- + crm.lead_count_changes) through every kind of lead write, their folding, and
-- the funnel and campaign report read from them.
BEGIN;
SELECT plan(31);

SELECT crm_test.company('Reports') AS a \gset
SELECT crm_test.company('Reports other') AS b \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'In work') AS s_work,
       crm_test.id('statuses', :a, 'Won') AS s_won, crm_test.id('statuses', :a, 'Lost') AS s_lost,
       crm_test.id('statuses', :a, 'Paid order') AS s_paid,
       crm_test.id('lead_types', :a, 'Repair') AS t_repair,
       crm_test.id('campaigns', :a, 'Search') AS c_search, crm_test.id('campaigns', :a, 'Social') AS c_social \gset

-- The counts of an account compared with a count of its leads: no row = they agree.
CREATE TEMP VIEW count_drift AS
SELECT coalesce(k.type_id, x.type_id) AS type_id, coalesce(k.status_id, x.status_id) AS status_id,
       coalesce(k.campaign_id, x.campaign_id) AS campaign_id,
       coalesce(k.leads, 0) AS kept, coalesce(x.leads, 0) AS actual,
       coalesce(k.revenue, 0) AS kept_revenue, coalesce(x.revenue, 0) AS actual_revenue
FROM (SELECT * FROM crm.lead_group_counts WHERE account_id = current_setting('crm.account_id')::bigint) k
FULL JOIN (SELECT l.type_id, l.status_id, l.campaign_id, count(*) AS leads, coalesce(sum(o.amount), 0) AS revenue
           FROM crm.leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
           WHERE l.account_id = current_setting('crm.account_id')::bigint
           GROUP BY 1, 2, 3) x
  ON x.type_id = k.type_id AND x.status_id = k.status_id AND x.campaign_id IS NOT DISTINCT FROM k.campaign_id
WHERE coalesce(k.leads, 0) <> coalesce(x.leads, 0) OR coalesce(k.revenue, 0) <> coalesce(x.revenue, 0);
GRANT SELECT ON count_drift TO PUBLIC;

SELECT crm_test.act('crm_test_manager', :a, 'Anna');

INSERT INTO crm.leads (contact_name, campaign_id) VALUES ('One', :c_search) RETURNING id AS l1 \gset
INSERT INTO crm.leads (contact_name) VALUES ('No campaign') RETURNING id AS l2 \gset
SELECT results_eq('SELECT campaign_id, leads FROM crm.lead_group_counts ORDER BY campaign_id NULLS LAST',
    format('VALUES (%s::bigint, 1::bigint), (NULL, 1)', :c_search), 'single inserts count their lead, campaign NULL included');
INSERT INTO crm.leads (contact_name, campaign_id, type_id)
SELECT 'Bulk ' || g, CASE WHEN g % 2 = 0 THEN :c_search ELSE :c_social END, CASE WHEN g % 5 = 0 THEN :t_repair END
FROM generate_series(1, 200) g;
SELECT is_empty('SELECT * FROM count_drift', 'a 200-row INSERT ... SELECT is counted per group');
SELECT is((SELECT sum(leads) FROM crm.lead_group_counts)::bigint, 202::bigint, '... 202 leads in all');

UPDATE crm.leads SET status_id = :s_work WHERE id = :l1;
SELECT is_empty('SELECT * FROM count_drift', 'a transition moves its lead between groups');
SELECT is((SELECT leads FROM crm.lead_group_counts WHERE status_id = :s_new AND campaign_id = :c_search AND type_id <> :t_repair), 80::bigint,
    '... the group it left has one lead less (leads stay counted as 0 when a group empties)');
UPDATE crm.leads SET status_id = :s_work WHERE contact_name LIKE 'Bulk %' AND type_id <> :t_repair AND campaign_id = :c_social;
UPDATE crm.leads SET status_id = :s_won WHERE contact_name LIKE 'Bulk 1%' AND status_id = :s_work;
UPDATE crm.leads SET status_id = :s_lost WHERE contact_name LIKE 'Bulk 2%' AND status_id = :s_work;
SELECT is_empty('SELECT * FROM count_drift', 'multi-row transitions are counted');
UPDATE crm.leads SET campaign_id = :c_social WHERE id = :l2;
UPDATE crm.leads SET campaign_id = NULL WHERE contact_name = 'Bulk 4';
UPDATE crm.leads SET type_id = :t_repair WHERE id = :l1;
SELECT is_empty('SELECT * FROM count_drift', 'campaign and type changes move leads between groups');

CREATE TEMP TABLE before_noop AS SELECT * FROM crm.lead_group_counts;
UPDATE crm.leads SET deadline = '2026-05-01 10:00+00', urgent = true, contact_name = contact_name || '!' WHERE contact_name LIKE 'Bulk 3%';
SELECT set_eq('SELECT * FROM crm.lead_group_counts', 'SELECT * FROM before_noop', 'an update that changes no group leaves every count as it was');

SAVEPOINT s;
INSERT INTO crm.leads (contact_name, campaign_id) SELECT 'Undone', :c_search FROM generate_series(1, 10);
UPDATE crm.leads SET status_id = :s_lost WHERE id = :l2;
ROLLBACK TO SAVEPOINT s;
SELECT set_eq('SELECT * FROM crm.lead_group_counts', 'SELECT * FROM before_noop', 'writes rolled back to a savepoint leave the counts as they were');

SELECT throws_ok('UPDATE crm.leads SET status_id = 999999 WHERE id = ' || :l1, '23503', NULL, 'a refused transition ...');
SELECT set_eq('SELECT * FROM crm.lead_group_counts', 'SELECT * FROM before_noop', '... changes no count');

-- Orders: revenue of linked orders, and their amount changes.
RESET ROLE;
UPDATE crm.accounts SET order_won_status_id = :s_paid WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.orders (amount) VALUES (250) RETURNING id AS o1 \gset
INSERT INTO crm.orders (amount) VALUES (40) RETURNING id AS o2 \gset
SELECT crm.link_order(:o1, :l2);
SELECT is_empty('SELECT * FROM count_drift', 'linking an order counts its amount in the lead''s group');
SELECT is((SELECT revenue FROM crm.lead_group_counts WHERE status_id = :s_paid AND campaign_id = :c_social), 250.00,
    '... revenue 250 in (Paid order, Social)');
UPDATE crm.orders SET amount = 300 WHERE id = :o1;
UPDATE crm.orders SET amount = 10 WHERE id = :o2;
SELECT is((SELECT revenue FROM crm.lead_group_counts WHERE status_id = :s_paid AND campaign_id = :c_social), 300.00,
    'a linked order''s new amount moves the revenue; an unlinked one''s does not count');
SELECT is_empty('SELECT * FROM count_drift', '... and the counts agree with the leads');

-- The reports.
SELECT crm_test.act('crm_test_reader', :a);
SELECT results_eq('SELECT campaign, leads, open, won, lost, conversion, revenue FROM crm.campaign_report ORDER BY id NULLS LAST',
    $$SELECT coalesce(cp.name, 'no campaign'), count(*),
             count(*) FILTER (WHERE s.kind = 'open'), count(*) FILTER (WHERE s.kind = 'won'),
             count(*) FILTER (WHERE s.kind = 'lost'),
             round(count(*) FILTER (WHERE s.kind = 'won')::numeric / count(*), 4),
             coalesce(sum(o.amount) FILTER (WHERE s.kind = 'won'), 0)
      FROM crm.leads l JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
      LEFT JOIN crm.campaigns cp ON cp.account_id = l.account_id AND cp.id = l.campaign_id
      LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
      GROUP BY l.campaign_id, cp.name ORDER BY l.campaign_id NULLS LAST$$,
    'campaign_report equals the same report computed from the leads');
SELECT results_eq('SELECT type_id, status_id, leads FROM crm.funnel ORDER BY type_id, status_id',
    'SELECT type_id, status_id, count(*) FROM crm.leads GROUP BY 1, 2 ORDER BY 1, 2',
    'funnel equals the count of leads per type and status, without empty groups');
SELECT is((SELECT revenue FROM crm.campaign_report WHERE id = :c_social), 300.00, 'revenue counts orders of won leads ("Paid order" is won)');

-- Tenancy and rights.
SELECT crm_test.act('crm_test_reader', :b);
SELECT is_empty('SELECT * FROM crm.lead_group_counts', 'another account sees none of these counts');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok(format('INSERT INTO crm.lead_counts (type_id, status_id, leads) VALUES (%s, %s, 5)', :t_repair, :s_new),
    '42501', NULL, 'a manager cannot write the counts');
SELECT throws_ok('UPDATE crm.lead_counts SET leads = 0', '42501', NULL, '... nor change them');
SELECT throws_ok(format('INSERT INTO crm.lead_count_changes (type_id, status_id, leads, revenue) VALUES (%s, %s, 5, 0)', :t_repair, :s_new),
    '42501', NULL, '... nor append a change');

-- Folding the changes into crm.lead_counts: a manager folds its own account's.
RESET ROLE;
SET LOCAL crm.account_id = '';
SET LOCAL crm.employee_id = '';
INSERT INTO crm.leads (account_id, contact_name) VALUES (:b, 'Another account''s lead');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
CREATE TEMP TABLE before_fold AS SELECT * FROM crm.lead_group_counts;
SELECT ok(crm.fold_lead_counts() > 0, 'fold_lead_counts writes the counter rows');
SELECT is_empty('SELECT * FROM crm.lead_count_changes', '... and no change is left');
SELECT set_eq('SELECT * FROM crm.lead_group_counts', 'SELECT * FROM before_fold', '... and every group count is as it was');
SELECT set_eq('SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_counts',
    'SELECT * FROM before_fold', '... now held by crm.lead_counts alone');
RESET ROLE;
SELECT ok(EXISTS (SELECT 1 FROM crm.lead_count_changes WHERE account_id = :b),
    'a manager''s fold leaves another account''s changes');
SELECT ok(crm.fold_lead_counts() > 0, 'the owner''s fold folds every account''s');
SELECT is_empty(format('SELECT * FROM crm.lead_count_changes WHERE account_id IN (%s, %s)', :a, :b),
    '... and leaves no change of either account');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT format('INSERT INTO crm.leads (contact_name, campaign_id) VALUES (%L, %s)', 'Many ' || g, :c_search)
FROM generate_series(1, 130) g \gexec
SELECT cmp_ok((SELECT count(*) FROM crm.lead_count_changes), '<', 130::bigint,
    'writers fold the changes themselves every so often: 130 inserts leave fewer than 130 changes');
SELECT is_empty('SELECT * FROM count_drift', '... and the counts still agree with the leads');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
