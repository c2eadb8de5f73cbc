-- import.sql: an import from another CRM for one account, as its admin runs it through the
-- Citus coordinator: stage (a transaction), check what is staged, run (a transaction of its
-- own); run by import.sh on the cluster and on one server, whose outputs must be equal.
-- Prints key=value lines, no ids that differ between the two.
--   psql -v acc=ID -v emp=EMPLOYEE -v raw='a phone as typed' -f import.sql   (as the importer)
\set ON_ERROR_STOP 1
SET citus.propagate_set_commands = 'local';

BEGIN;
SET LOCAL crm.account_id = :acc;
SET LOCAL crm.employee_id = :emp;
INSERT INTO crm.import_clients (id, name, email, phones, created_at)
  VALUES (9001, 'Imported Ivan', 'ivan@example.com', :'raw', '2019-03-02'),
         (9002, 'Imported Olga', NULL, 'not a phone', '2019-04-01');
INSERT INTO crm.import_leads (number, status, client_id, contact_name, created_at, status_changed_at, closed_at)
  VALUES ('L-09042', 'New', 9001, 'Ivan', '2023-01-10 09:00+03', NULL, NULL),
         ('L-09100', 'Won', NULL, 'Petr', '2022-03-01', '2022-04-01', '2022-04-02'),
         ('L-09101', 'Nonexistent', NULL, 'Nobody', '2022-03-01', NULL, NULL);
INSERT INTO crm.import_orders (number, client_id, lead_number, amount, created_at)
  VALUES ('O-9001', 9001, 'L-09042', 100, '2023-02-01');
INSERT INTO crm.import_invoices (number, client_id, amount, created_at)
  VALUES ('I-9001', 9001, 100, '2023-02-02');
INSERT INTO crm.import_payments (invoice_number, kind, amount, succeeded, at)
  VALUES ('I-9001', 'payment', 100, true, '2023-02-03');
COMMIT;

BEGIN;
SET LOCAL crm.account_id = :acc;
SET LOCAL crm.employee_id = :emp;
SELECT string_agg(kind || ' ' || staged, ',' ORDER BY kind) AS staged FROM crm.import_staged() \gset
COMMIT;

BEGIN;
SET LOCAL crm.account_id = :acc;
SET LOCAL crm.employee_id = :emp;
SELECT string_agg(kind || ' ' || staged || '/' || imported || '/' || rejected, ',' ORDER BY kind) AS run
  FROM crm.import_run('2026-01-01 00:00+00') \gset
COMMIT;

BEGIN;
SET LOCAL crm.account_id = :acc;
SET LOCAL crm.employee_id = :emp;
SELECT string_agg(kind || ' ' || sqlstate || ' ' || message, '; ' ORDER BY kind, staging_id) AS rejects
  FROM crm.import_rejects WHERE account_id = :acc \gset
SELECT string_agg(l.number || ' ' || s.name || ' ' || l.created_at::date || ' '
                  || coalesce((SELECT c.name FROM crm.clients c WHERE c.account_id = l.account_id AND c.id = l.client_id), '-'),
                  ', ' ORDER BY l.number) AS leads
  FROM crm.leads l JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id
  WHERE l.account_id = :acc AND l.number LIKE 'L-09%' \gset
SELECT string_agg(e.kind || ' ' || e.at::date, ', ' ORDER BY e.kind) AS history
  FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
  WHERE e.account_id = :acc AND l.number = 'L-09042' \gset
SELECT string_agg(i.number || ' ' || i.status || ' ' || i.paid_amount, ', ') AS invoices
  FROM crm.invoices i WHERE i.account_id = :acc AND i.number = 'I-9001' \gset
SELECT string_agg(p.phone, ',' ORDER BY p.id) AS phones FROM crm.client_phones p
  WHERE p.account_id = :acc AND p.client_id = 9001 \gset
SELECT lead_id IS NOT NULL AS order_linked FROM crm.orders WHERE account_id = :acc AND number = 'O-9001' \gset
SELECT count(*) AS run_events FROM crm.events WHERE account_id = :acc AND kind = 'import_run' \gset
COMMIT;
BEGIN;
SET LOCAL crm.account_id = :acc;
SET LOCAL crm.employee_id = :emp;
SELECT count(*) AS still_staged FROM crm.import_staged() WHERE staged > 0 \gset
COMMIT;

SELECT 'staged=' || :'staged', 'run=' || :'run', 'rejects=' || :'rejects', 'leads=' || :'leads',
       'history=' || :'history', 'invoices=' || :'invoices', 'phones=' || :'phones',
       'order_linked=' || :'order_linked', 'import_run events=' || :'run_events',
       'staged after the run=' || :'still_staged';
