-- Migrating from another CRM, end to end as the README tells it: CSV files copied into
-- the staging tables by an admin (a login bound to the account and an employee), one
-- crm.import_run, then the report of the rejected rows.  Pins the texts of every
-- rejection and of the errors around an import.  Explicit ids keep them stable.
SET client_min_messages = warning;
SET timezone = 'UTC';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_importer') THEN
    CREATE ROLE crm_regress_importer NOLOGIN IN ROLE crm_admin;
    CREATE ROLE crm_regress_hidden_importer NOLOGIN IN ROLE crm_admin;
    CREATE ROLE crm_regress_unbound_admin NOLOGIN IN ROLE crm_admin;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name, default_region, timezone) VALUES (8701, 'Import A', 'RU', 'Europe/Moscow');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES
  (8701, 8701, 'New', 'open', 1), (8701, 8702, 'Won', 'won', 2), (8701, 8703, 'Lost', 'lost', 3);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (8701, 8701, 'Sales', 8701, 'L-{N:5}', true);
INSERT INTO crm.employees (account_id, id, name, email, role, can_see_customers) VALUES
  (8701, 8701, 'Olga', 'olga@example.com', 'admin', true), (8701, 8702, 'Anna', 'anna@example.com', 'manager', true),
  (8701, 8703, 'Anna', 'anna.k@example.com', 'manager', true), (8701, 8704, 'Boris', 'boris@example.com', 'manager', true),
  (8701, 8705, 'Hidden', 'hidden@example.com', 'admin', false);
INSERT INTO crm.campaigns (account_id, id, name) VALUES (8701, 8701, 'Search');
INSERT INTO crm.clients (account_id, id, name) VALUES (8701, 8701, 'Already here');
INSERT INTO crm.leads (account_id, type_id, contact_name, created_at) VALUES (8701, 8701, 'Typed before', '2023-01-01');
SELECT crm.bind_login('crm_regress_importer', 8701, 8701), crm.bind_login('crm_regress_hidden_importer', 8701, 8705);

SET ROLE crm_regress_importer;
-- COPY into crm's own tables is refused, whoever copies: they have row-level security.
\copy crm.leads (contact_name) from '/dev/null'
-- The staging tables take COPY; they are written, never read, by a crm role.
COPY crm.import_clients (id, name, email, phones, responsible, category, birthday) FROM STDIN (FORMAT csv, HEADER);
id,name,email,phones,responsible,category,birthday
501,Ivan Petrov,ivan@example.com,"8 (916) 123-45-67; +7 916 765-43-21",anna@example.com,,1980-05-01
502,Maria Ivanova,,+7 926 111-22-33,Boris,,
503,Bad Phone,,"+7 916 123-45-68, 12345",,,
504,,nameless@example.com,,,,
505,Spammer,,,,robot,
8701,Same id,,,,,
506,Old,,,,,1899-12-31
507,Unknown manager,,,Petr,,
508,Ambiguous,,,Anna,,
\.
COPY crm.import_leads (id, number, type, status, manager, client_id, contact_name, contact_phone, campaign,
                       deadline, budget, created_at, status_changed_at, closed_at, comment)
  FROM STDIN (FORMAT csv, HEADER);
id,number,type,status,manager,client_id,contact_name,contact_phone,campaign,deadline,budget,created_at,status_changed_at,closed_at,comment
,L-00042,,New,anna@example.com,501,Ivan,8 916 123-45-67,Search,2023-02-01 10:00+03,1000,2023-01-10 09:00+03,,,open and overdue
,L-00100,Sales,Won,,,Petr,,Search,,,2022-03-01,2022-04-01,2022-04-02,won: no manager
,,,,Boris,502,Maria,+7 926 111-22-33,,2030-01-01,,2023-06-01,,,numbered from its template
,XYZ-7,,Lost,,,Old numbering,,,,,2021-01-01,,,outside the template
,L-00001,,,,,Taken number,,,,,2023-01-01,,,
,L-00042,,,,,Same number,,,,,2023-01-01,,,
,L-00201,Repair,,,,Unknown type,,,,,2023-01-01,,,
,L-00202,,Maybe,,,Unknown status,,,,,2023-01-01,,,
,L-00203,,,Petr,,Unknown manager,,,,,2023-01-01,,,
,L-00204,,,Anna,,Ambiguous manager,,,,,2023-01-01,,,
,L-00205,,,,,Unknown campaign,,Radio,,,2023-01-01,,,
,L-00206,,,,424242,Unknown client,,,,,2023-01-01,,,
,L-00207,,New,,,Open but closed,,,,,2023-01-01,,2023-02-01,
,L-00208,,,,,From the future,,,,,2031-01-01,,,
,L-00209,,Won,,,Closed before created,,,,,2023-01-01,,2022-12-01,
,L-00210,,,,,Negative budget,,,,-5,2023-01-01,,,
,L-00211,,,,,Huge budget,,,,1e15,2023-01-01,,,
,L-00212,,,,,Deadline too late,,,10000-01-01,,2023-01-01,,,
0,L-00213,,,,,Id zero,,,,,2023-01-01,,,
\.
COPY crm.import_orders (number, client_id, lead_number, phone, amount, created_at) FROM STDIN (FORMAT csv, HEADER);
number,client_id,lead_number,phone,amount,created_at
ORD-000007,501,L-00100,8 916 123-45-67,1500,2022-03-20
ORD-000008,,L-00100,,10,2022-03-21
ORD-000009,,L-99999,,10,2022-03-21
ORD-000010,502,L-00042,,10,2022-03-21
ORD-000011,424242,,,10,2022-03-21
\.
COPY crm.import_invoices (number, client_id, manager, status, amount, created_at) FROM STDIN (FORMAT csv, HEADER);
number,client_id,manager,status,amount,created_at
INV-000010,501,Anna K,,1000,2023-01-01
INV-000010,501,olga@example.com,,1000,2023-01-01
INV-000011,501,olga@example.com,paid,1000,2023-01-01
INV-000012,501,,cancelled,1000,2023-01-01
INV-000013,,,,1000,2023-01-01
INV-000014,501,,lost,1000,2023-01-01
INV-000015,502,,,500,2023-01-01
\.
COPY crm.import_payments (invoice_number, kind, amount, succeeded, at, external_id, failure_reason) FROM STDIN (FORMAT csv, HEADER);
invoice_number,kind,amount,succeeded,at,external_id,failure_reason
INV-000010,,400,,2023-01-05,pay-1,
INV-000010,,600,,2023-01-06,pay-2,
INV-000011,,500,,2023-01-05,,
INV-000012,,100,false,2023-01-05,,card declined
INV-000015,refund,50,,2023-01-05,,
INV-000099,,100,,2023-01-05,,
INV-000010,,100,,2023-01-07,pay-1,
INV-000010,gift,100,,2023-01-07,,
INV-000010,,0,,2023-01-07,,
,,100,,2023-01-07,,
INV-000010,,,,2023-01-07,,
INV-000010,,100,,,,
\.
SELECT kind, staged FROM crm.import_staged() ORDER BY kind;
SELECT kind, staged, imported, rejected FROM crm.import_run('2024-01-01 00:00:00+00') ORDER BY kind;

-- The report: one row per rejected staged row.
SELECT r.kind, coalesce(r.staged_row->>'number', r.staged_row->>'name', r.staged_row->>'invoice_number',
                        r.staged_row->>'external_id', r.staged_row->>'at') AS staged, r.sqlstate,
       r.message, r.detail, r.hint
FROM crm.import_rejects r JOIN crm.import_batches b ON b.account_id = r.account_id AND b.id = r.batch_id
WHERE b.account_id = 8701
ORDER BY r.kind, r.staging_id;
SELECT staged, imported, rejected, employee_id, as_of FROM crm.import_batches WHERE account_id = 8701;
SELECT kind, staged FROM crm.import_staged() ORDER BY kind;
RESET ROLE;

-- What was imported.
SELECT id, name, email, responsible_id, birthday FROM crm.clients WHERE account_id = 8701 ORDER BY id;
SELECT client_id, raw, phone FROM crm.client_phones WHERE account_id = 8701 ORDER BY client_id, phone;
SELECT number, number_seq IS NOT NULL AS counted, status_id, manager_id, client_id, phone, campaign_id, deadline,
       overdue_since, created_at, status_changed_at, closed_at, order_id IS NOT NULL AS has_order
FROM crm.leads WHERE account_id = 8701 ORDER BY number;
-- The import's events are dated when it happened; the link's when it was made (now).
SELECT l.number, CASE WHEN e.detail ? 'import_batch' THEN e.at END AS at, e.kind, e.employee_id,
       e.detail ? 'import_batch' AS imported
FROM crm.lead_events e JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
WHERE e.account_id = 8701 ORDER BY l.number, e.id;
SELECT number, client_id, lead_id IS NOT NULL AS has_lead, amount, phone_e164, created_at FROM crm.orders
WHERE account_id = 8701 ORDER BY number;
SELECT number, status, amount, paid_amount, refunded_amount, manager_id, status_changed_at FROM crm.invoices
WHERE account_id = 8701 ORDER BY number;
SELECT i.number, p.kind, p.amount, p.succeeded, p.at, p.external_id FROM crm.payments p
JOIN crm.invoices i ON i.account_id = p.account_id AND i.id = p.invoice_id
WHERE p.account_id = 8701 ORDER BY p.at, p.id;
SELECT i.number, e.at, e.kind, e.to_status FROM crm.invoice_events e
JOIN crm.invoices i ON i.account_id = e.account_id AND i.id = e.invoice_id
WHERE e.account_id = 8701 ORDER BY i.number, e.at, e.id;
SELECT campaign, leads, won, revenue FROM crm.campaign_report WHERE account_id = 8701;
-- Past deadlines were marked: run_due has nothing to announce.
SELECT count(*) AS announced FROM crm.outbox WHERE account_id = 8701;

-- Typed in after the import: numbers and ids continue past what it brought.
SET ROLE crm_regress_importer;
INSERT INTO crm.leads (contact_name) VALUES ('Typed after') RETURNING number;
INSERT INTO crm.orders (amount) VALUES (1) RETURNING number;
INSERT INTO crm.invoices (client_id, amount) VALUES (501, 1) RETURNING number;
INSERT INTO crm.clients (name) VALUES ('Typed after') RETURNING id > 508 AS past_imported_ids;

-- What an admin may not do with the staging tables.
SELECT count(*) FROM crm.import_leads;
INSERT INTO crm.import_leads (account_id, contact_name) VALUES (8701, 'x');
DELETE FROM crm.import_leads;
-- A fallback: a row that passes every check and still fails is rejected with its error.
RESET ROLE;
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_name = 'Refused' THEN
    RAISE EXCEPTION 'lead % is refused', NEW.number USING ERRCODE = '22P05', DETAIL = 'A test trigger refuses it.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER regress_refuse BEFORE INSERT ON crm.leads FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();
SET ROLE crm_regress_importer;
INSERT INTO crm.import_leads (number, contact_name, created_at) VALUES
  ('L-00300', 'Kept', '2023-01-01'), ('L-00301', 'Refused', '2023-01-01'), ('L-00302', 'Kept', '2023-01-01');
SELECT kind, staged, imported, rejected FROM crm.import_run('2024-01-01 00:00:00+00') WHERE kind = 'lead';
SELECT staged_row->>'number' AS number, sqlstate, message, detail FROM crm.import_rejects
WHERE account_id = 8701 AND batch_id = (SELECT max(id) FROM crm.import_batches WHERE account_id = 8701);
RESET ROLE;
DROP TRIGGER regress_refuse ON crm.leads;

-- The errors of a run itself.
SET ROLE crm_regress_importer;
SELECT * FROM crm.import_run(NULL);
SELECT * FROM crm.import_run('infinity');
-- crm._import_run, the run crm.import_run hands a Citus worker: the session's account only.
SELECT crm._import_run(8702, '2024-01-01 00:00:00+00');
SELECT crm._import_run(NULL, '2024-01-01 00:00:00+00');
RESET ROLE;
SET ROLE crm_regress_hidden_importer;
SELECT * FROM crm.import_run();
RESET ROLE;
SET ROLE crm_regress_unbound_admin;
INSERT INTO crm.import_leads (contact_name) VALUES ('x');
SELECT * FROM crm.import_run();
RESET ROLE;
SELECT crm.unbind_login('crm_regress_importer'), crm.unbind_login('crm_regress_hidden_importer');
