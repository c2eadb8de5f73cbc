-- Columns crm keeps that no role may write in an INSERT: no DEFAULT (Citus would name
-- them in the INSERT it sends a worker, where the role's grants refuse it), their first
-- value from the trigger _kept_columns.
BEGIN;
SELECT plan(9);

SELECT is(ARRAY(SELECT attrelid::regclass || '.' || attname FROM pg_attribute a
                WHERE (attrelid, attname) IN (('crm.clients'::regclass, 'contact_flagged'),
                                              ('crm.invoices'::regclass, 'updated_at'),
                                              ('crm.invoices'::regclass, 'status_changed_at'),
                                              ('crm.invoices'::regclass, 'no_answer_streak'),
                                              ('crm.call_tasks'::regclass, 'no_answer_streak'))
                  AND a.atthasdef ORDER BY 1),
          '{}'::text[], 'the kept columns have no DEFAULT');

SELECT crm_test.company('Kept A') AS a \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Kept') RETURNING id AS c, contact_flagged AS flagged \gset
SELECT is(:'flagged'::boolean, false, 'a new client is not flagged');
SELECT throws_ok($$INSERT INTO crm.clients (name, contact_flagged) VALUES ('Flagged', true)$$, '42501',
                 NULL, 'a manager may not set contact_flagged');
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 10)
  RETURNING no_answer_streak AS streak, updated_at AS updated, status_changed_at AS changed \gset
-- the trigger's time: the transaction's (on Citus the worker's, which began after the
-- coordinator's), so between now() and the clock
SELECT is(:'streak'::int, 0, 'a new invoice has no no_answer streak');
SELECT ok(:'updated'::timestamptz BETWEEN now() AND clock_timestamp(), 'a new invoice was updated now');
SELECT ok(:'changed'::timestamptz BETWEEN now() AND clock_timestamp(), 'a new invoice''s status changed now');
INSERT INTO crm.call_tasks (client_id, title) VALUES (:c, 'Call') RETURNING no_answer_streak AS task_streak \gset
SELECT is(:'task_streak'::int, 0, 'a new call task has no no_answer streak');
RESET ROLE;

-- The owner may give them (a restore, an import): the trigger fills only what is NULL.
INSERT INTO crm.call_tasks (account_id, client_id, title, no_answer_streak) VALUES (:a, :c, 'Given', 2)
  RETURNING no_answer_streak AS given \gset
SELECT is(:'given'::int, 2, 'a value given is kept');
INSERT INTO crm.clients (account_id, name, contact_flagged) VALUES (:a, 'Null', NULL) RETURNING contact_flagged AS null_flagged \gset
SELECT is(:'null_flagged'::boolean, false, 'a NULL given is the first value, as a missing one');

SELECT * FROM finish();
ROLLBACK;
