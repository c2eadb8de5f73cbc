-- test/suites/pgbouncer/setup.sql: the database behind the pooler (run.sh).
-- Two companies filled through crm_test.fill; the application's login
-- crm_pool_app (crm_service and crm_admin), as an application server behind a
-- transaction pooler connects; a person's login crm_pool_anna, bound to
-- company A as its employee Anna.  Prints name=value lines for run.sh.
SET client_min_messages = warning;
SELECT crm_test.company('Pool A') AS a \gset
SELECT crm_test.company('Pool B', 'DE') AS b \gset
SELECT crm_test.fill(:a, 3), crm_test.fill(:b, 4);

DROP ROLE IF EXISTS crm_pool_app;
DROP ROLE IF EXISTS crm_pool_anna;
CREATE ROLE crm_pool_app LOGIN IN ROLE crm_service, crm_admin;
CREATE ROLE crm_pool_anna LOGIN IN ROLE crm_manager;
SELECT crm.bind_login('crm_pool_anna', :a, crm_test.id('employees', :a, 'Anna'));

SELECT 'a=' || :a,
       'b=' || :b,
       'anna_a=' || crm_test.id('employees', :a, 'Anna'),
       'boris_a=' || crm_test.id('employees', :a, 'Boris'),
       'anna_b=' || crm_test.id('employees', :b, 'Anna'),
       'type_a=' || crm_test.id('lead_types', :a, 'Repair'),
       'type_b=' || crm_test.id('lead_types', :b, 'Repair'),
       'clients_a=' || (SELECT count(*) FROM crm.clients WHERE account_id = :a),
       'clients_b=' || (SELECT count(*) FROM crm.clients WHERE account_id = :b);
