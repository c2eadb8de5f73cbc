-- A small sample company for the demo: employees, two lead types with their own
-- statuses and transition chains, campaigns, and a few hundred leads in several
-- states, some overdue, some urgent.  Deterministic (fixed seed).
\set ON_ERROR_STOP on
SELECT setseed(0.42);

INSERT INTO crm.accounts (id, name, default_region, timezone) VALUES (1, 'Northwind Repairs', 'RU', 'Europe/Moscow');
SET crm.account_id = 1;

INSERT INTO crm.employees (id, name, email, role) VALUES
  (1, 'Olga Admin', 'olga@northwind.example', 'admin'),
  (2, 'Anna Petrova', 'anna@northwind.example', 'manager'),
  (3, 'Boris Ivanov', 'boris@northwind.example', 'manager'),
  (4, 'Dmitry Sokolov', 'dmitry@northwind.example', 'manager'),
  (5, 'Elena Smirnova', 'elena@northwind.example', 'operator');

-- Sales: New -> Qualified -> Proposal -> Won, any open step -> Lost.
-- Repair: Received -> Diagnosed -> Repaired -> Handed over, Received/Diagnosed -> Declined.
INSERT INTO crm.statuses (id, name, kind, position) VALUES
  (1, 'New', 'open', 1), (2, 'Qualified', 'open', 2), (3, 'Proposal', 'open', 3),
  (4, 'Won', 'won', 4), (5, 'Lost', 'lost', 5),
  (6, 'Received', 'open', 11), (7, 'Diagnosed', 'open', 12), (8, 'Repaired', 'open', 13),
  (9, 'Handed over', 'won', 14), (10, 'Declined', 'lost', 15);
INSERT INTO crm.lead_types (id, name, initial_status_id, number_template, is_default) VALUES
  (1, 'Sales', 1, 'S-{YYYY}-{N:5}', true),
  (2, 'Repair', 6, 'R-{N:6}', false);
INSERT INTO crm.status_transitions (lead_type_id, from_status_id, to_status_id) VALUES
  (1, 1, 2), (1, 2, 3), (1, 3, 4), (1, 1, 5), (1, 2, 5), (1, 3, 5),
  (2, 6, 7), (2, 7, 8), (2, 8, 9), (2, 6, 10), (2, 7, 10);
UPDATE crm.accounts SET order_won_status_id = 4 WHERE id = 1;
INSERT INTO crm.campaigns (id, name) VALUES (1, 'Search ads'), (2, 'Social'), (3, 'Referral'), (4, 'Radio');
INSERT INTO crm.locations (id, name) VALUES (1, 'Moscow'), (2, 'Kazan');

-- 300 leads from the last 60 days, created by their managers.
SET crm.employee_id = 2;
INSERT INTO crm.leads (type_id, contact_name, contact_phone, campaign_id, location_id, manager_id,
                       budget, urgent, deadline, created_at)
SELECT CASE WHEN random() < 0.7 THEN 1 ELSE 2 END,
       (ARRAY['Ivan', 'Maria', 'Sergey', 'Olga', 'Pavel', 'Irina', 'Nikolai', 'Tatiana'])[1 + (g % 8)]
         || ' ' || (ARRAY['K.', 'L.', 'M.', 'N.', 'P.'])[1 + (g % 5)],
       '8 (9' || lpad((10 + g % 80)::text, 2, '0') || ') ' || lpad((100 + g)::text, 3, '0') || '-'
         || lpad((g % 100)::text, 2, '0') || '-' || lpad(((g * 7) % 100)::text, 2, '0'),
       1 + floor(random() * 4)::int,
       1 + floor(random() * 2)::int,
       2 + floor(random() * 3)::int,
       round((5000 + random() * 95000)::numeric, -2),
       random() < 0.08,
       CASE WHEN random() < 0.5 THEN now() + (random() * 20 - 8) * interval '1 day' END,
       now() - (60 - g * 0.2) * interval '1 day'
FROM generate_series(1, 300) AS g;

-- Move leads along their chains, as their managers would.
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 2 ELSE 7 END))
FROM crm.leads WHERE random() < 0.75;
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 3 ELSE 8 END, 'moved on'))
FROM crm.leads WHERE status_id IN (2, 7) AND random() < 0.6;
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 4 ELSE 9 END, 'closed won'))
FROM crm.leads WHERE status_id IN (3, 8) AND random() < 0.6;
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 5 ELSE 10 END, 'no budget'))
FROM crm.leads WHERE status_id IN (1, 2, 6, 7) AND random() < 0.3;
RESET crm.employee_id;

-- The rows above that were given their ids (the account, employees, statuses, types,
-- campaigns, locations) left their identity sequences behind: move every sequence past
-- the largest id of its table, so that the next row typed in gets a free id (an admin's
-- INSERT INTO crm.campaigns (name) VALUES ('TV') is campaign 5).
SELECT format('SELECT pg_catalog.setval(%L, max(%I)) FROM %s HAVING max(%I) IS NOT NULL',
              pg_get_serial_sequence(a.attrelid::regclass::text, a.attname), a.attname,
              a.attrelid::regclass, a.attname)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped
ORDER BY a.attrelid::regclass::text
\gexec
