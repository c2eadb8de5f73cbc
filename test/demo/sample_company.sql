-- The demo's sample company as it stands this morning, loaded by the owner (the DBA):
-- the account and its settings, employees, two lead types with their own statuses and
-- transition chains, campaigns, offers, a message template, four known clients, and a
-- few hundred leads of the last two months in several states (some won through an
-- order, some overdue, some urgent), plus last month's protection plan on autopay whose
-- next charge falls today at 15:00.  scripts/demo.sh then plays one working day on it
-- (test/demo/day.sql).
--
-- Deterministic (fixed seed), and every time is relative to today's midnight in the
-- account's time zone: no background deadline, charge or call falls inside today's
-- working day, so the day's own steps decide what the clock does tonight.
\set ON_ERROR_STOP on
SET timezone = 'Europe/Moscow';   -- the account's zone: "a month ago", "15:00" as the company reads them
SELECT setseed(0.42);
SELECT date_trunc('day', now() AT TIME ZONE 'Europe/Moscow') AT TIME ZONE 'Europe/Moscow' AS midnight \gset

INSERT INTO crm.accounts (id, name, default_region, timezone, client_link_mode, order_link_mode)
VALUES (1, 'Northwind Repairs', 'RU', 'Europe/Moscow', 'auto', 'auto');
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
-- A shop order linked to a lead moves it to Won (the successful-order status).
UPDATE crm.accounts SET order_won_status_id = 4 WHERE id = 1;
INSERT INTO crm.campaigns (id, name) VALUES (1, 'Search ads'), (2, 'Social'), (3, 'Referral'), (4, 'Radio');
INSERT INTO crm.locations (id, name) VALUES (1, 'Moscow'), (2, 'Kazan');

-- What the shop sells; a failed payment for the protection plan alerts the client's contacts.
INSERT INTO crm.offers (id, name, price, notify_on_failed_payment) VALUES
  (1, 'Screen repair', 4500, false),
  (2, 'Charging port repair', 2500, false),
  (3, 'Protection plan (month)', 490, true),
  (4, 'Phone case', 900, false);
INSERT INTO crm.message_templates (id, name, subject, body) VALUES
  (1, 'Payment reminder', 'Invoice {$invoice_number}',
   'Dear {$name}, as agreed on the phone: invoice {$invoice_number} for {$amount} RUB is waiting for you. Your manager, {$manager_name}.');

-- Clients the company already knows (the phones as they were typed).
INSERT INTO crm.clients (id, name, email, city, responsible_id, note) VALUES
  (1, 'Ivan Petrov', 'ivan.petrov@example.com', 'Moscow', 2, 'Prefers WhatsApp'),
  (2, 'Maria Kuznetsova', 'maria.k@example.com', 'Moscow', 3, NULL),
  (3, 'Sergey Volkov', 'sergey.volkov@example.com', 'Kazan', 3, NULL),
  (4, 'Pavel Orlov', 'pavel.orlov@example.com', 'Moscow', 3, 'Protection plan since last month');
INSERT INTO crm.client_phones (client_id, raw) VALUES
  (1, '+7 916 123 45 67'), (2, '8 (903) 111-22-33'), (3, '+7 925 444-55-66'), (4, '8 926 700 80 90');

-- 300 leads of the last two months, created by their managers.  A quarter have a
-- deadline before today, a quarter one after tomorrow, the rest none.
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
       round((5000 + random() * 45000)::numeric, -2),
       random() < 0.08,
       CASE g % 4 WHEN 0 THEN :'midnight'::timestamptz - (1 + g % 6) * interval '1 day' + interval '18 hours'
                  WHEN 1 THEN :'midnight'::timestamptz + (1 + g % 10) * interval '1 day' + interval '18 hours' END,
       :'midnight'::timestamptz - (61 - g * 0.2) * interval '1 day'
FROM generate_series(1, 300) AS g;

-- Move leads along their chains, as their managers would.
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 2 ELSE 7 END))
FROM crm.leads WHERE random() < 0.75;
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 3 ELSE 8 END, 'moved on'))
FROM crm.leads WHERE status_id IN (2, 7) AND random() < 0.6;
-- Two sales proposals in three became a shop order: the order finds its lead by phone
-- (order_link_mode auto) and moves it to Won, and its campaign earns the amount.
INSERT INTO crm.orders (phone, amount, status)
SELECT contact_phone, budget, 'paid' FROM crm.leads WHERE type_id = 1 AND status_id = 3 AND id % 3 <> 0 ORDER BY id;
SELECT count(crm.transition_lead(id, 9, 'handed over'))
FROM crm.leads WHERE status_id = 8 AND random() < 0.6;
SELECT count(crm.transition_lead(id, CASE type_id WHEN 1 THEN 5 ELSE 10 END, 'no budget'))
FROM crm.leads WHERE status_id IN (1, 2, 6, 7) AND random() < 0.3;

-- Last month Boris sold Pavel the protection plan on autopay, three monthly charges at
-- most: the purchase was paid, and the next charge falls today at 15:00.
SET crm.employee_id = 3;
INSERT INTO crm.invoices (client_id, created_at) VALUES (4, :'midnight'::timestamptz - interval '1 month' + interval '14 hours 50 minutes')
RETURNING id AS pavel_invoice \gset
INSERT INTO crm.invoice_items (invoice_id, offer_id) VALUES (:pavel_invoice, 3);
SELECT count(*) FROM crm.record_payment(:pavel_invoice, 490, true, at => :'midnight'::timestamptz - interval '1 month' + interval '15 hours',
                                        external_id => 'psp-4100');
UPDATE crm.invoices
SET autopay_interval = '1 month', autopay_limit = 3, autopay = true,
    next_charge_at = :'midnight'::timestamptz + interval '15 hours'
WHERE id = :pavel_invoice;
RESET crm.employee_id;

-- The scheduler ran overnight: what fell due before today is marked (overdue leads).
SELECT count(*) FROM crm.run_due(now => :'midnight');

-- The rows above that were given their ids (the account, employees, statuses, types,
-- campaigns, locations, offers, the template, clients) left their identity sequences
-- behind: move every sequence past the largest id of its table, so that the next row
-- typed in gets a free id (an admin's INSERT INTO crm.campaigns (name) VALUES ('TV')
-- is campaign 5).
SELECT format('SELECT pg_catalog.setval(%L, max(%I)) FROM %s HAVING max(%I) IS NOT NULL',
              pg_get_serial_sequence(a.attrelid::regclass::text, a.attname), a.attname,
              a.attrelid::regclass, a.attname)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped
ORDER BY a.attrelid::regclass::text
\gexec
