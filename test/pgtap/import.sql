-- Migrating from another CRM: the staging tables, crm.import_run and its rules for
-- clients, leads, orders, invoices and payments, the report of rejected rows, the
-- sequences and counters moved past what it brings, and no announcement of history.
-- The ids imported are small: a sequence moved past them stays moved after the
-- ROLLBACK (sequences are not transactional), and the files after this one count on
-- ids of their own size.
BEGIN;
SELECT plan(110);
SET LOCAL timezone = 'UTC';

SELECT crm_test.company('Import A') AS a \gset
SELECT crm_test.company('Import B') AS b \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'In work') AS s_work,
       crm_test.id('statuses', :a, 'Won') AS s_won, crm_test.id('statuses', :a, 'Lost') AS s_lost,
       crm_test.id('lead_types', :a, 'Sales') AS t_sales, crm_test.id('lead_types', :a, 'Repair') AS t_repair,
       crm_test.id('employees', :a, 'Admin') AS admin, crm_test.id('employees', :a, 'Anna') AS anna,
       crm_test.id('employees', :a, 'Boris') AS boris, crm_test.id('employees', :a, 'Gone') AS gone,
       crm_test.id('campaigns', :a, 'Search') AS search \gset
-- An admin login bound to account A and its employee Admin: the import acts through identity.
-- Named per account and able to log in: on Citus a committed step keeps it, and the
-- coordinator connects to the workers as the session's role.
CREATE ROLE crm_tap_importer_:a LOGIN IN ROLE crm_admin;
SELECT crm.bind_login(('crm_tap_importer_' || :a)::regrole, :a, :admin) IS NULL AS bound \gset
-- Acting as it (SET LOCAL ROLE below): a bound login ignores nothing it is given, so
-- the settings are cleared first.
-- The account gives a lead without a manager its client's responsible manager; an import
-- keeps history's "no manager".
UPDATE crm.accounts SET lead_manager_mode = 'client_responsible' WHERE id = :a;
-- A lead typed before the import, which the import's numbers must not collide with.
INSERT INTO crm.leads (account_id, contact_name, created_at) VALUES (:a, 'Typed before', '2025-01-01');
-- Account A's admins are told of every lead event in-app: history tells no one.
INSERT INTO crm.notification_rules (account_id, event, notify, channel)
    SELECT :a, e, 'admins', 'notification'
    FROM unnest(ARRAY['lead_created', 'lead_status_changed', 'lead_manager_changed', 'lead_overdue',
                      'lead_urgent', 'lead_order_linked']) e;

-- ==== 1. The staging tables: COPY works into them, and they are kept apart by grants

SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace
                  AND c.relkind = 'r' AND c.relname LIKE 'import%' AND NOT c.relrowsecurity ORDER BY 1),
          ARRAY['import_clients', 'import_invoices', 'import_leads', 'import_orders', 'import_payments'],
          'the staging tables have no row-level security (COPY FROM refuses a table that has)');
SELECT ok((SELECT bool_and(relrowsecurity) FROM pg_class WHERE oid IN ('crm.import_batches'::regclass, 'crm.import_rejects'::regclass)),
          'the batches and the rejects have row-level security');
-- (account_id and staging_id: on Citus, which names them in the INSERT it sends a shard,
-- crm.distribute() grants them, and trigger import_01_account holds the row to the
-- session's account: the refusal below)
SELECT ok(NOT has_table_privilege('crm_admin', 'crm.import_leads', 'SELECT,UPDATE,DELETE,TRUNCATE')
          AND has_column_privilege('crm_admin', 'crm.import_leads', 'number', 'INSERT')
          AND has_column_privilege('crm_admin', 'crm.import_leads', 'account_id', 'INSERT')
              = EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
          AND has_column_privilege('crm_admin', 'crm.import_leads', 'staging_id', 'INSERT')
              = EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
          AND NOT has_any_column_privilege('crm_manager', 'crm.import_leads', 'INSERT'),
          'an admin may only insert into the data columns of a staging table; a manager not at all');

SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_tap_importer_:a;
SELECT throws_ok('SELECT * FROM crm.import_leads', '42501', NULL, 'an admin cannot read a staging table');
SELECT throws_ok(format('INSERT INTO crm.import_leads (account_id, contact_name) VALUES (%s, ''x'')', :b), '42501', NULL,
                 'an admin cannot stage a row in another account (account_id is not writable)');
SELECT throws_ok('UPDATE crm.import_leads SET comment = ''x''', '42501', NULL, 'an admin cannot change staged rows');
SELECT throws_ok('DELETE FROM crm.import_leads', '42501', NULL, 'an admin cannot delete staged rows');
-- With the settings of a restore, an admin still stages rows of its account, and is no restore:
-- it takes no restore lock (kit/restore.h), which would hold up the scheduler.
SET LOCAL row_security = off;
SET LOCAL check_function_bodies = false;
INSERT INTO crm.import_clients (name) VALUES ('Staged like a restore');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 3 AND pid = pg_backend_pid()),
          0::bigint, 'an admin staging rows with row_security off is no restore');
SELECT is(crm.import_clear(), 1::bigint, 'and the row it staged is its account''s');
SET LOCAL row_security = on;
SET LOCAL check_function_bodies = true;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok('INSERT INTO crm.import_leads (contact_name) VALUES (''x'')', '42501', NULL, 'a manager cannot stage rows');
SELECT throws_ok('SELECT * FROM crm.import_run()', '42501', NULL, 'a manager cannot run an import');
RESET ROLE;

-- Account B stages a lead; A's run must leave it alone.
SELECT crm_test.act('crm_test_admin', :b, 'Admin');
INSERT INTO crm.import_leads (number, contact_name) VALUES ('L-00777', 'Lead of B');
RESET ROLE;

-- ==== 2. One import of every kind, as the bound admin

SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_tap_importer_:a;
INSERT INTO crm.import_clients (id, name, email, phones, responsible, category, tags, budget, created_at) VALUES
  (7001, 'Ivan Petrov', 'ivan@example.com', '8 (916) 123-45-67; +7 916 765-43-21, 8 916 123 45 67', 'anna@example.com', NULL, '{vip}', 1000, '2020-01-01'),
  (7002, 'Maria', NULL, '+7 926 111-22-33', 'Boris', 'sleeping', NULL, NULL, NULL),
  (7003, 'Bad phone', NULL, '+7 926 111-22-34; 12345', NULL, NULL, NULL, NULL, NULL),
  (NULL, 'No id', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (7004, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (7005, 'Robot', NULL, NULL, NULL, 'robot', NULL, NULL, NULL),
  (7001, 'Same id', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO crm.import_leads (id, number, type, status, manager, client_id, contact_name, contact_phone, campaign,
                              deadline, urgent, budget, tags, created_at, status_changed_at, closed_at, comment) VALUES
  (7001, 'L-00042', NULL, 'New', 'anna@example.com', 7001, 'Open overdue', '8 916 123-45-67', 'Search',
   '2026-02-01', true, 500, '{web}', '2025-12-01', NULL, NULL, 'past deadline'),
  (NULL, 'L-00100', 'Sales', 'Won', NULL, NULL, 'Won, no manager', NULL, 'Search', '2025-01-01', NULL, NULL, NULL,
   '2024-03-01', '2024-04-01', '2024-04-02', NULL),
  (NULL, 'L-00090', NULL, 'Lost', 'Boris', NULL, 'Lost, closed when moved', NULL, NULL, NULL, NULL, NULL, NULL,
   '2024-03-01', '2024-05-01', NULL, NULL),
  (NULL, 'L-00091', NULL, 'Won', NULL, NULL, 'Won, no times', NULL, NULL, NULL, NULL, NULL, NULL,
   '2024-03-01', NULL, NULL, NULL),
  (NULL, NULL, NULL, 'In work', 'Boris', 7002, 'No number', '+7 926 111-22-33', NULL, '2026-06-15', NULL, NULL, NULL,
   '2026-01-10', NULL, NULL, NULL),
  (NULL, 'R-2024-7', 'Repair', NULL, 'gone@example.com', NULL, 'Repair of 2024', NULL, NULL, NULL, NULL, NULL, NULL,
   '2024-06-01', NULL, NULL, NULL),
  (NULL, 'L-00095', NULL, NULL, NULL, 7001, 'Client, no manager', NULL, NULL, NULL, NULL, NULL, NULL,
   '2025-06-01', NULL, NULL, NULL),
  (NULL, 'OLD-1', NULL, 'Lost', NULL, NULL, 'Old numbering', NULL, NULL, NULL, NULL, NULL, NULL, '2019-01-01', NULL, NULL, NULL),
  (NULL, 'L-00001', NULL, NULL, NULL, NULL, 'Number taken', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00042', NULL, NULL, NULL, NULL, 'Same number', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00201', 'Service', NULL, NULL, NULL, 'Unknown type', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00202', NULL, 'Maybe', NULL, NULL, 'Unknown status', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00203', NULL, NULL, 'Petr', NULL, 'Unknown manager', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00204', NULL, NULL, NULL, 424242, 'Unknown client', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00205', NULL, NULL, NULL, NULL, 'Unknown campaign', NULL, 'Radio', NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (NULL, 'L-00206', NULL, 'New', NULL, NULL, 'Open but closed', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, '2025-02-01', NULL),
  (NULL, 'L-00207', NULL, NULL, NULL, NULL, 'From the future', NULL, NULL, NULL, NULL, NULL, NULL, '2027-01-01', NULL, NULL, NULL),
  (NULL, 'L-00208', NULL, 'Won', NULL, NULL, 'Closed before created', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, '2024-12-01', NULL),
  (NULL, 'L-00209', NULL, NULL, NULL, NULL, 'Negative budget', NULL, NULL, NULL, NULL, -1, NULL, '2025-01-01', NULL, NULL, NULL),
  (7001, 'L-00210', NULL, NULL, NULL, NULL, 'Same id', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL),
  (0, 'L-00211', NULL, NULL, NULL, NULL, 'Id zero', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01', NULL, NULL, NULL);
INSERT INTO crm.import_orders (id, number, client_id, lead_number, phone, amount, created_at) VALUES
  (7001, 'ORD-000007', 7001, 'L-00100', '8 916 123-45-67', 1500, '2024-03-20'),
  (NULL, 'ORD-000008', NULL, 'L-00100', NULL, 10, '2024-03-21'),
  (NULL, 'ORD-000009', NULL, 'L-99999', NULL, 10, '2024-03-21'),
  (NULL, 'ORD-000010', 7002, 'L-00042', NULL, 10, '2024-03-21');
INSERT INTO crm.import_invoices (id, number, client_id, manager, status, amount, created_at, note) VALUES
  (7001, 'INV-000010', 7001, 'Anna', NULL, 1000, '2025-01-01', 'paid in two'),
  (NULL, 'INV-000011', 7001, NULL, NULL, 1000, '2025-01-01', 'prepaid'),
  (NULL, 'INV-000012', 7001, NULL, NULL, 1000, '2025-01-01', 'awaiting, one failure'),
  (NULL, 'INV-000013', 7001, NULL, NULL, 1000, '2025-01-01', 'refunded'),
  (NULL, 'INV-000014', 7001, NULL, 'cancelled', 1000, '2025-01-01', 'cancelled'),
  (NULL, 'INV-000015', 7001, NULL, 'paid', 1000, '2025-01-01', 'says paid, is not'),
  (NULL, 'INV-000016', NULL, NULL, NULL, 1000, '2025-01-01', 'no client');
INSERT INTO crm.import_payments (id, invoice_number, kind, amount, succeeded, at, external_id, failure_reason) VALUES
  (7001, 'INV-000010', NULL, 400, NULL, '2025-01-05', 'tap-pay-1', NULL),
  (NULL, 'INV-000010', NULL, 600, true, '2025-01-06', 'tap-pay-2', NULL),
  (NULL, 'INV-000011', 'prepayment', 300, NULL, '2025-01-05', NULL, NULL),
  (NULL, 'INV-000012', NULL, 1000, false, '2025-01-05', NULL, 'card declined'),
  (NULL, 'INV-000013', NULL, 1000, NULL, '2025-01-05', NULL, NULL),
  (NULL, 'INV-000013', 'refund', 1000, NULL, '2025-01-08', NULL, NULL),
  (NULL, 'INV-000015', NULL, 100, NULL, '2025-01-05', NULL, NULL),
  (NULL, 'INV-000099', NULL, 100, NULL, '2025-01-05', NULL, NULL),
  (NULL, 'INV-000011', NULL, 100, NULL, '2025-01-06', 'tap-pay-1', NULL),
  (NULL, 'INV-000011', 'gift', 100, NULL, '2025-01-06', NULL, NULL),
  (NULL, 'INV-000011', NULL, 100, NULL, NULL, NULL, NULL);
SELECT is(ARRAY(SELECT kind || '=' || staged FROM crm.import_staged() ORDER BY kind),
          ARRAY['client=7', 'invoice=7', 'lead=21', 'order=4', 'payment=11'], 'crm.import_staged counts the account''s staged rows');
CREATE TEMP TABLE run1 AS SELECT * FROM crm.import_run('2026-06-01 00:00:00+00');
RESET ROLE;

SELECT is(ARRAY(SELECT kind || ' ' || staged || '/' || imported || '/' || rejected FROM run1 ORDER BY kind),
          ARRAY['client 7/3/4', 'invoice 7/5/2', 'lead 21/8/13', 'order 4/1/3', 'payment 11/6/5'],
          'the run reports per kind what was staged, imported and rejected');
SELECT is((SELECT count(DISTINCT batch_id) FROM run1), 1::bigint, 'one batch');
SELECT batch_id AS batch FROM run1 LIMIT 1 \gset
SELECT is((SELECT row(staged, imported, rejected, employee_id)::text FROM crm.import_batches WHERE account_id = :a AND id = :batch),
          format('(50,23,27,%s)', :admin), 'the batch records its counts and the importing employee');
SELECT is((SELECT count(*) FROM crm.import_rejects WHERE account_id = :a AND batch_id = :batch), 27::bigint,
          'one reject per rejected row');
SELECT is((SELECT count(*) FROM crm.import_leads WHERE account_id = :a) + (SELECT count(*) FROM crm.import_clients WHERE account_id = :a)
          + (SELECT count(*) FROM crm.import_payments WHERE account_id = :a), 0::bigint, 'the run empties the account''s staging tables');
SELECT is((SELECT count(*) FROM crm.import_leads WHERE account_id = :b), 1::bigint, 'and leaves another account''s staged rows alone');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id = :a AND number = 'L-00777'), 0::bigint, 'which it does not import');

-- The reject of a row: its staging id, SQLSTATE, message, and the row as staged.
-- (Of account A, named by a setting: on Citus other runs' rejects stay committed beside
-- these; PL/pgSQL, whose statements Citus plans with their values.)
SELECT set_config('crm_tap.import_account', :'a', false) IS NULL AS unset \gset
CREATE FUNCTION pg_temp.reject(k text, field text, value text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  account bigint := current_setting('crm_tap.import_account')::bigint;
BEGIN
  RETURN (SELECT string_agg(sqlstate, ',' ORDER BY staging_id) FROM crm.import_rejects
          WHERE account_id = account AND kind = k AND staged_row->>field = value);
END $$;

-- ==== 3. Clients

SELECT is((SELECT name FROM crm.clients WHERE account_id = :a AND id = 7001), 'Ivan Petrov', 'a client keeps its id');
SELECT is(ARRAY(SELECT phone FROM crm.client_phones WHERE account_id = :a AND client_id = 7001 ORDER BY phone),
          ARRAY['+79161234567', '+79167654321'], 'each of its phones is normalised, the same number kept once');
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a AND id = 7001), :'anna'::bigint,
          'the responsible manager comes by email');
SELECT is((SELECT row(category, tags, budget, created_at)::text FROM crm.clients WHERE account_id = :a AND id = 7001),
          '(client,{vip},1000.00,"2020-01-01 00:00:00+00")', 'category, tags, budget and created_at are kept');
SELECT is((SELECT created_at FROM crm.clients WHERE account_id = :a AND id = 7002), '2026-06-01 00:00:00+00'::timestamptz,
          'a client without created_at is created as of the run');
SELECT is(pg_temp.reject('client', 'name', 'Bad phone'), '22023', 'a bad phone rejects its client (22023)');
SELECT ok((SELECT message LIKE '%"12345"%' FROM crm.import_rejects WHERE account_id = :a AND kind = 'client' AND staged_row->>'name' = 'Bad phone'),
          'naming the phone');
SELECT is((SELECT count(*) FROM crm.clients WHERE account_id = :a AND name = 'Bad phone')
          + (SELECT count(*) FROM crm.client_phones WHERE account_id = :a AND phone = '+79261112234'), 0::bigint,
          'and nothing of that client is imported');
SELECT is(pg_temp.reject('client', 'id', '7004'), '23502', 'a client without a name is rejected (23502)');
SELECT is(pg_temp.reject('client', 'name', 'Robot'), '22023', 'an unknown category is rejected (22023)');
SELECT is(pg_temp.reject('client', 'name', 'Same id'), '23505', 'a second client with the same id is rejected (23505)');
SELECT is((SELECT count(*) FROM crm.clients WHERE account_id = :a AND name = 'No id'), 1::bigint, 'a client without an id gets a new one');
SELECT ok((SELECT staged_row ? 'staging_id' AND NOT staged_row ? 'account_id' FROM crm.import_rejects
           WHERE account_id = :a AND kind = 'client' AND staged_row->>'name' = 'Bad phone'), 'a reject keeps the staged row, with its staging id');

-- ==== 4. Leads

SELECT is((SELECT id FROM crm.leads WHERE account_id = :a AND number = 'L-00042'), 7001::bigint, 'a lead keeps its id');
SELECT is((SELECT row(status_id, manager_id, client_id, phone, campaign_id, urgent, budget, tags)::text
           FROM crm.leads WHERE account_id = :a AND number = 'L-00042'),
          format('(%s,%s,7001,+79161234567,%s,t,500.00,{web})', :s_new, :anna, :search),
          'its status by name, manager by email, client by id, normalised phone, campaign and the rest');
SELECT is((SELECT row(created_at, status_changed_at, closed_at)::text FROM crm.leads WHERE account_id = :a AND number = 'L-00100'),
          '("2024-03-01 00:00:00+00","2024-04-01 00:00:00+00","2024-04-02 00:00:00+00")',
          'created_at, status_changed_at and closed_at are kept as given');
SELECT is((SELECT manager_id FROM crm.leads WHERE account_id = :a AND number = 'L-00100'), NULL::bigint,
          'no manager stays no manager (not the importing employee)');
SELECT is((SELECT manager_id FROM crm.leads WHERE account_id = :a AND number = 'L-00095'), NULL::bigint,
          'not the client''s responsible manager either (client_responsible mode)');
SELECT is((SELECT row(status_changed_at, closed_at)::text FROM crm.leads WHERE account_id = :a AND number = 'L-00090'),
          '("2024-05-01 00:00:00+00","2024-05-01 00:00:00+00")', 'a closed lead without closed_at closed when it reached its status');
SELECT is((SELECT row(status_changed_at, closed_at)::text FROM crm.leads WHERE account_id = :a AND number = 'L-00091'),
          '("2024-03-01 00:00:00+00","2024-03-01 00:00:00+00")', 'or, without that either, when it was created');
SELECT is((SELECT manager_id FROM crm.leads WHERE account_id = :a AND number = 'R-2024-7'), :'gone'::bigint,
          'a former (inactive) employee can be the manager of history');

-- Numbers: kept, and the counters move past them.
SELECT is((SELECT number FROM crm.leads WHERE account_id = :a AND contact_name = 'No number'), 'L-00101',
          'a lead without a number is numbered after the highest imported number of its template');
SELECT is((SELECT row(number_sequence_id IS NULL, number_seq IS NULL)::text FROM crm.leads WHERE account_id = :a AND number = 'OLD-1'),
          '(t,t)', 'a number its template cannot make is kept outside every counter');
SELECT is((SELECT number_seq FROM crm.leads WHERE account_id = :a AND number = 'R-2024-7'), 7::bigint,
          'a number with a year takes its place in that year''s counter');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('Typed after') RETURNING number AS typed_after \gset
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair typed', :t_repair, '2024-07-01') RETURNING number AS repair_2024 \gset
INSERT INTO crm.leads (contact_name, type_id, created_at) VALUES ('Repair typed', :t_repair, '2025-07-01') RETURNING number AS repair_2025 \gset
RESET ROLE;
SELECT is(:'typed_after'::text, 'L-00102', 'the next lead typed in continues after the highest imported number');
SELECT is(:'repair_2024'::text, 'R-2024-8', 'the 2024 counter of R-{YYYY}-{N} continues after R-2024-7');
SELECT is(:'repair_2025'::text, 'R-2025-1', 'while another year''s counter starts on its own');

-- History: the created event dated at created_at, once, naming the batch; no link events.
SELECT is((SELECT array_agg(kind || '@' || at ORDER BY id)::text FROM crm.lead_events WHERE account_id = :a AND lead_id = 7001),
          '{"created@2025-12-01 00:00:00+00"}', 'an imported lead''s created event is dated at its created_at, and it has no other');
SELECT is((SELECT (detail->>'import_batch')::bigint FROM crm.lead_events WHERE account_id = :a AND lead_id = 7001),
          :'batch'::bigint, 'the event names the batch');
SELECT is((SELECT employee_id FROM crm.lead_events WHERE account_id = :a AND lead_id = 7001), :'admin'::bigint,
          'and the employee who imported');
SELECT is((SELECT to_status_id FROM crm.lead_events WHERE account_id = :a AND lead_id = 7001), :'s_new'::bigint,
          'and the status the lead came in');
SELECT is((SELECT sum(leads) FROM crm.funnel WHERE account_id = :a), 12::numeric,
          'the funnel counts the eight imported leads and the four typed ones');

-- Deadlines of the past are marked, not announced.
SELECT is((SELECT overdue_since FROM crm.leads WHERE account_id = :a AND number = 'L-00042'), '2026-02-01 00:00:00+00'::timestamptz,
          'an open lead whose deadline passed before as_of is overdue since its deadline');
SELECT is((SELECT overdue_since FROM crm.leads WHERE account_id = :a AND number = 'L-00100'), NULL::timestamptz,
          'a closed lead with a past deadline is not overdue');
SELECT is((SELECT overdue_since FROM crm.leads WHERE account_id = :a AND contact_name = 'No number'), NULL::timestamptz,
          'a deadline after as_of is left to run_due');
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT is((SELECT handled FROM crm.run_due('2026-06-02 00:00:00+00') WHERE kind = 'lead_overdue'), 0::bigint,
          'run_due after the import has no imported deadline to announce');
SELECT is((SELECT array_agg(payload->>'event' || ' ' || (payload->>'number')) FROM crm.outbox WHERE account_id = :a
           AND payload->>'number' NOT IN (:'typed_after', :'repair_2024', :'repair_2025')), NULL,
          'and queues no notification: imported leads and their orders'' links tell no one, whatever the rules');
SELECT is((SELECT handled FROM crm.run_due('2026-06-16 00:00:00+00') WHERE kind = 'lead_overdue'), 1::bigint,
          'a deadline after as_of is announced when it passes');
SELECT is((SELECT count(*) FROM crm.outbox WHERE account_id = :a AND payload->>'number' = 'L-00101' AND employee_id = :admin), 1::bigint,
          'once, for that lead only');
RESET ROLE;

-- Rejected leads, one per row, while the good rows load.
SELECT is(pg_temp.reject('lead', 'contact_name', 'Number taken'), '23505', 'a number crm already has is rejected (23505)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Same number'), '23505', 'a number staged twice is rejected the second time (23505)');
SELECT is((SELECT contact_name FROM crm.leads WHERE account_id = :a AND number = 'L-00042'), 'Open overdue', 'the first one stands');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Unknown type'), '23503', 'an unknown lead type is rejected (23503)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Unknown status'), '23503', 'an unknown status is rejected (23503)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Unknown manager'), '23503', 'an unknown manager is rejected (23503)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Unknown client'), '23503', 'an unknown client is rejected (23503)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Unknown campaign'), '23503', 'an unknown campaign is rejected (23503)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Open but closed'), '22023', 'an open lead with closed_at is rejected (22023)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'From the future'), '22008', 'a lead created after as_of is rejected (22008)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Closed before created'), '22008', 'a lead closed before it was created is rejected (22008)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Negative budget'), '22023', 'a negative budget is rejected (22023)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Same id'), '23505', 'an id crm already has is rejected (23505)');
SELECT is(pg_temp.reject('lead', 'contact_name', 'Id zero'), '22003', 'an id out of range is rejected (22003)');

-- ==== 5. Orders

SELECT is((SELECT row(id, client_id, amount, created_at, phone_e164)::text FROM crm.orders WHERE account_id = :a AND number = 'ORD-000007'),
          '(7001,7001,1500.00,"2024-03-20 00:00:00+00",+79161234567)', 'an order keeps its id, number, client, amount and time');
SELECT is((SELECT row(o.lead_id = l.id, l.order_id = o.id, l.status_id)::text FROM crm.orders o JOIN crm.leads l ON l.account_id = o.account_id AND l.number = 'L-00100'
           WHERE o.account_id = :a AND o.number = 'ORD-000007'), format('(t,t,%s)', :s_won),
          'it is linked to its lead both ways, and the closed lead keeps its status');
-- (the view's query run alone, as an application would: Citus plans its joins only so)
SELECT results_eq(format('SELECT revenue FROM crm.campaign_report WHERE account_id = %s AND id = %s', :a, :search),
          $$VALUES (1500.00::numeric)$$, 'the lead''s campaign counts the order''s amount');
SELECT is(pg_temp.reject('order', 'number', 'ORD-000008'), '55000', 'a lead linked twice is rejected the second time (55000)');
SELECT is(pg_temp.reject('order', 'number', 'ORD-000009'), '23503', 'an unknown lead is rejected (23503)');
SELECT is(pg_temp.reject('order', 'number', 'ORD-000010'), '55000', 'a lead of another client is rejected (55000)');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.orders (amount) VALUES (1) RETURNING number AS typed_order, id AS typed_order_id \gset
RESET ROLE;
SELECT is(:'typed_order'::text, 'ORD-000008', 'the next order typed in continues after the imported number');

-- ==== 6. Invoices and their payments

SELECT is((SELECT row(status, paid_amount, refunded_amount, manager_id, status_changed_at)::text
           FROM crm.invoices WHERE account_id = :a AND number = 'INV-000010'),
          format('(paid,1000.00,0.00,%s,"2025-01-06 00:00:00+00")', :anna),
          'an invoice paid by its payments is paid, as of its last payment');
SELECT is((SELECT row(status, paid_amount)::text FROM crm.invoices WHERE account_id = :a AND number = 'INV-000011'),
          '(prepaid,300.00)', 'partly paid: prepaid');
SELECT is((SELECT row(status, paid_amount)::text FROM crm.invoices WHERE account_id = :a AND number = 'INV-000012'),
          '(awaiting,0.00)', 'a failed payment changes nothing: awaiting');
SELECT is((SELECT row(status, paid_amount, refunded_amount)::text FROM crm.invoices WHERE account_id = :a AND number = 'INV-000013'),
          '(refunded,1000.00,1000.00)', 'paid and refunded: refunded');
SELECT is((SELECT status FROM crm.invoices WHERE account_id = :a AND number = 'INV-000014'), 'cancelled',
          'a cancelled invoice is kept cancelled');
SELECT is(pg_temp.reject('invoice', 'number', 'INV-000015'), '22023', 'a status its payments do not make is rejected (22023)');
SELECT is(pg_temp.reject('invoice', 'number', 'INV-000016'), '23502', 'an invoice without a client is rejected (23502)');
SELECT is((SELECT array_agg(kind || '@' || at ORDER BY at, id)::text FROM crm.invoice_events e
           WHERE account_id = :a AND invoice_id = 7001),
          '{"created@2025-01-01 00:00:00+00","payment@2025-01-05 00:00:00+00","payment@2025-01-06 00:00:00+00"}',
          'the invoice''s history is dated when it happened');
SELECT is((SELECT string_agg(kind || ' ' || jsonb_typeof(detail->'amount') || ' ' || coalesce(detail->>'at', '-'), ', ' ORDER BY at, id)
             FROM crm.invoice_events WHERE account_id = :a AND invoice_id = 7001),
          'created number -, payment number 2025-01-05T00:00:00+00:00, payment number 2025-01-06T00:00:00+00:00',
          'imported history is typed as the triggers write it: amounts numbers, times ISO 8601 in UTC');
SELECT is((SELECT count(*) FROM crm.payments WHERE account_id = :a), 6::bigint, 'the payments of imported invoices are recorded');
SELECT is((SELECT row(id, amount, at, external_id, employee_id)::text FROM crm.payments WHERE account_id = :a AND external_id = 'tap-pay-1'),
          '(7001,400.00,"2025-01-05 00:00:00+00",tap-pay-1,)', 'with their ids, amounts, times and provider ids');
SELECT is(pg_temp.reject('payment', 'invoice_number', 'INV-000099'), '23503', 'a payment of an invoice not imported is rejected (23503)');
SELECT is(pg_temp.reject('payment', 'invoice_number', 'INV-000015'), '23503', 'as is one whose invoice was rejected');
SELECT is(pg_temp.reject('payment', 'external_id', 'tap-pay-1'), '23505', 'a provider id staged twice is rejected the second time (23505)');
SELECT is(pg_temp.reject('payment', 'kind', 'gift'), '22023', 'an unknown kind is rejected (22023)');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = :a) + (SELECT count(*) FROM crm.outbox WHERE account_id = :a AND kind <> 'notification'),
          0::bigint, 'an imported failure alerts no one and queues nothing');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.invoices (client_id, amount) VALUES (7001, 5) RETURNING number AS typed_invoice, id AS typed_invoice_id \gset
SELECT (crm.record_payment(:typed_invoice_id, 5, true)).id AS typed_payment \gset
RESET ROLE;
SELECT is(:'typed_invoice'::text, 'INV-000015', 'the next invoice typed in continues after the highest imported number');

-- ==== 7. Identity sequences moved past the imported ids

SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Typed client') RETURNING id AS typed_client \gset
RESET ROLE;
SELECT cmp_ok(:'typed_client'::bigint, '>', 7001::bigint, 'the next client typed in gets an id past the imported ones');
SELECT cmp_ok((SELECT max(id) FROM crm.leads WHERE account_id = :a AND contact_name IN ('Typed after', 'Repair typed')), '>', 7001::bigint,
              'so does the next lead');
SELECT cmp_ok(:'typed_order_id'::bigint, '>', 7001::bigint, 'and the next order');
SELECT cmp_ok(:'typed_invoice_id'::bigint, '>', 7001::bigint, 'and the next invoice');
SELECT cmp_ok(:'typed_payment'::bigint, '>', 7001::bigint, 'and the next payment');

-- ==== 8. A row that passes every check and still fails: rejected with its own error

-- (in schema crm_test, not pg_temp: on Citus the trigger fires on the worker nodes too)
CREATE OR REPLACE FUNCTION crm_test.import_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_name = 'Refused' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22P05'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tap_refuse BEFORE INSERT ON crm.leads FOR EACH ROW EXECUTE FUNCTION crm_test.import_refuse();
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_tap_importer_:a;
INSERT INTO crm.import_leads (number, contact_name, created_at)
SELECT 'F-' || g, CASE WHEN g = 37 THEN 'Refused' ELSE 'Fine' END, '2025-01-01' FROM generate_series(1, 50) g;
CREATE TEMP TABLE run2 AS SELECT * FROM crm.import_run('2026-06-01 00:00:00+00');
RESET ROLE;
DROP TRIGGER tap_refuse ON crm.leads;
SELECT is((SELECT imported || '/' || rejected FROM run2 WHERE kind = 'lead'), '49/1', 'the other rows of the chunk are imported');
SELECT is((SELECT sqlstate || ' ' || message FROM crm.import_rejects WHERE account_id = :a AND kind = 'lead' AND staged_row->>'number' = 'F-37'),
          '22P05 refused', 'the row is rejected with the SQLSTATE and message of its error');

-- ==== 9. Clearing staged rows, and the errors of a run

SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_tap_importer_:a;
INSERT INTO crm.import_clients (name) VALUES ('Staged by mistake'), ('Also');
SELECT is(crm.import_clear(), 2::bigint, 'crm.import_clear removes the staged rows');
SELECT is((SELECT sum(staged) FROM crm.import_staged()), 0::numeric, 'nothing is left staged');
SELECT throws_ok('SELECT * FROM crm.import_run(NULL)', '22004', NULL, 'as_of must not be NULL (22004)');
SELECT throws_ok('SELECT * FROM crm.import_run(''infinity'')', '22008', NULL, 'as_of must be a finite time (22008)');
SELECT throws_ok(format('SELECT crm._import_staged(%s)', :b), '42501',
                 format('crm._import_staged() cannot act in account %s', :b),
                 'crm._import_staged (the count on the account''s Citus worker) is the session''s account''s only');
SELECT throws_ok(format('SELECT crm._import_clear(%s)', :b), '42501', NULL,
                 'and so is crm._import_clear');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Hidden');
SELECT throws_ok('SELECT * FROM crm.import_run()', '42501', NULL,
                 'an employee who may not see customers cannot import (42501)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
