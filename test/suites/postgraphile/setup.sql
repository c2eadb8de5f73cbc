-- setup.sql: two filled accounts and the API's login; prints name=value lines for run.sh.
SET client_min_messages = warning;
DROP ROLE IF EXISTS rel_pgql_api;
CREATE ROLE rel_pgql_api LOGIN IN ROLE crm_service, crm_admin;
SELECT crm_test.company('GraphQL A') AS a \gset
SELECT crm_test.company('GraphQL B', 'DE') AS b \gset
SELECT crm_test.fill(:a, 12), crm_test.fill(:b, 12);
SELECT set_config('crm.account_id', :'a', false);
-- A Sales lead in New: New -> Won is not allowed, New -> In work is.
INSERT INTO crm.leads (type_id, contact_name, contact_phone)
VALUES (crm_test.id('lead_types', :a, 'Sales'), 'GraphQL lead', '+7 916 555-01-01') RETURNING id AS lead \gset
-- The Important inbox of Anna and of Boris: one row per failed payment.
SELECT set_config('crm.employee_id', crm_test.id('employees', :a, 'Anna')::text, false);
SELECT count(*) AS alerts_anna FROM crm.important \gset
SELECT set_config('crm.employee_id', crm_test.id('employees', :a, 'Boris')::text, false);
SELECT count(*) AS alerts_boris FROM crm.important \gset
SELECT 'a=' || :a, 'b=' || :b, 'lead=' || :lead,
       'anna_a=' || crm_test.id('employees', :a, 'Anna'), 'anna_b=' || crm_test.id('employees', :b, 'Anna'),
       'boris_a=' || crm_test.id('employees', :a, 'Boris'),
       'won_a=' || crm_test.id('statuses', :a, 'Won'), 'work_a=' || crm_test.id('statuses', :a, 'In work'),
       'invoice_a=' || (SELECT min(id) FROM crm.invoices WHERE account_id = :a AND status = 'awaiting'),
       'leads_a=' || (SELECT count(*) FROM crm.leads WHERE account_id = :a),
       'leads_b=' || (SELECT count(*) FROM crm.leads WHERE account_id = :b),
       'alerts_anna_a=' || :alerts_anna, 'alerts_boris_a=' || :alerts_boris;
