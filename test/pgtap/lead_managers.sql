-- The responsible manager is per lead (article 004: "Ответственный — это менеджер,
-- работающий с контактом. Это поле заполняется автоматически, когда менеджер
-- отправляет первое сообщение или отвечает контакту").  A lead created by an employee
-- keeps that employee; a lead created without a manager gets the first employee who
-- writes to its client after it was created, or, in client_responsible mode, the
-- client's responsible manager.
BEGIN;
SELECT plan(28);

CREATE TEMP TABLE t AS SELECT crm_test.company('Salon') AS a;
GRANT SELECT ON t TO crm_reader;
SELECT a FROM t \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris \gset

-- An employee writes to a client at a time (as that employee: the caller acts as the
-- employee first, a statement of its own, as an application's session would).
CREATE FUNCTION pg_temp.writes(employee text, client text, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE conv bigint;
BEGIN
  FOR conv IN SELECT v.id FROM crm.conversations v JOIN crm.clients c ON c.account_id = v.account_id AND c.id = v.client_id
              WHERE c.name = client LOOP
    INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at)
      VALUES (conv, 'out', crm.current_employee(), 'Hello from ' || employee, at);
  END LOOP;
END $$;
-- The site's integration (crm_service, no employee) opens a lead for a client at a time
-- (acting first, likewise).
CREATE FUNCTION pg_temp.site_lead(client text, label text, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE cl bigint;
BEGIN
  FOR cl IN SELECT id FROM crm.clients WHERE name = client LOOP
    INSERT INTO crm.leads (client_id, contact_name, created_at) VALUES (cl, label, at);
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.manager(label text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(e.name, 'nobody') FROM crm.leads l
  LEFT JOIN crm.employees e ON e.account_id = l.account_id AND e.id = l.manager_id
  WHERE l.account_id = (SELECT a FROM t) AND l.contact_name = label
$$;

INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Olga'), (:a, 'Petr'), (:a, 'Ivan');
INSERT INTO crm.conversations (account_id, client_id) SELECT account_id, id FROM crm.clients WHERE account_id = :a;

-- Anna answered Olga long ago: Olga's responsible manager.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Olga', '2026-01-10 10:00+00');
RESET ROLE;
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a AND name = 'Olga'), :anna::bigint,
          'the first employee to write to a client becomes its responsible manager');

-- Boris creates a lead for Olga: it is his.
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
INSERT INTO crm.leads (client_id, contact_name) SELECT id, 'Boris''s lead' FROM crm.clients WHERE name = 'Olga';
RESET ROLE;
SELECT is(pg_temp.manager('Boris''s lead'), 'Boris', 'a lead created by an employee is that employee''s');

-- The site opens a lead for Olga on 1 February at 10:00; nobody has written since.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'Site lead', '2026-02-01 10:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Site lead'), 'nobody', 'a lead created without an employee has no manager');
-- Olga writes; an incoming message gives no manager.
SELECT crm_test.act('crm_test_manager', :a);
INSERT INTO crm.messages (conversation_id, direction, body, sent_at)
  SELECT v.id, 'in', 'Can I come on Saturday?', '2026-02-01 10:02+00' FROM crm.conversations v
  JOIN crm.clients c ON c.account_id = v.account_id AND c.id = v.client_id WHERE c.name = 'Olga';
RESET ROLE;
SELECT is(pg_temp.manager('Site lead'), 'nobody', 'a message from the client gives the lead no manager');
-- Boris answers at 10:05: the lead is his, though Olga's responsible manager is Anna.
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT pg_temp.writes('Boris', 'Olga', '2026-02-01 10:05+00');
RESET ROLE;
SELECT is(pg_temp.manager('Site lead'), 'Boris', 'the first employee to answer after the lead was created gets the lead');
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a AND name = 'Olga'), :anna::bigint,
          'the client''s responsible manager stays');
SELECT is(pg_temp.manager('Boris''s lead'), 'Boris', 'a lead with a manager keeps it');
SELECT results_eq($$SELECT e.detail->>'from', e.detail->>'to' FROM crm.lead_events e
                    JOIN crm.leads l ON l.account_id = e.account_id AND l.id = e.lead_id
                    WHERE l.contact_name = 'Site lead' AND e.kind = 'manager_changed'$$,
                  $$VALUES (NULL::text, (SELECT id FROM crm.employees WHERE name = 'Boris' AND account_id = (SELECT a FROM t))::text)$$,
                  'the lead''s history records the manager it got');
-- Anna writes later: nothing changes.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Olga', '2026-02-01 11:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Site lead'), 'Boris', 'a later message by another employee changes nothing');

-- Olga's second lead, a month later, without a manager: the next one to write gets it.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'Second site lead', '2026-03-01 09:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Second site lead'), 'nobody', 'the client''s second lead starts without a manager');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Olga', '2026-03-01 09:30+00');
RESET ROLE;
SELECT is(pg_temp.manager('Second site lead'), 'Anna', 'the second lead gets the first employee to write after it was created');

-- A message sent before the lead was created does not count (recorded late, by an import).
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'April lead', '2026-04-01 12:00+00');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT pg_temp.writes('Boris', 'Olga', '2026-04-01 11:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('April lead'), 'nobody', 'a message sent before the lead was created does not give it a manager');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Olga', '2026-04-01 12:30+00');
RESET ROLE;
SELECT is(pg_temp.manager('April lead'), 'Anna', 'the first message sent after it does');

-- A lead closed before anyone wrote keeps no manager.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'Lost lead', '2026-05-01 09:00+00');
RESET ROLE;
UPDATE crm.leads SET status_id = crm_test.id('statuses', :a, 'Lost') WHERE account_id = :a AND contact_name = 'Lost lead';
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Olga', '2026-05-01 10:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Lost lead'), 'nobody', 'a closed lead gets no manager');

-- A lead imported with a time before messages already recorded gets their first writer.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'Imported lead', '2026-02-01 10:01+00');
RESET ROLE;
SELECT is(pg_temp.manager('Imported lead'), 'Boris', 'a lead created before recorded messages gets the first of them at once');
-- A lead linked to its client later: the same rule, from its creation.
SELECT crm_test.act('crm_test_manager', :a);
INSERT INTO crm.leads (contact_name, created_at) VALUES ('Linked later', '2026-03-01 09:10+00');
SELECT crm.link_lead_client((SELECT id FROM crm.leads WHERE contact_name = 'Linked later'),
                            (SELECT id FROM crm.clients WHERE name = 'Olga'));
RESET ROLE;
SELECT is(pg_temp.manager('Linked later'), 'Anna', 'a lead linked to its client later gets the first writer since it was created');

-- Two employees answering Petr: the first one gets the lead.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Petr', 'Petr lead', '2026-02-01 10:00+00');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT pg_temp.writes('Anna', 'Petr', '2026-02-01 10:10+00');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT pg_temp.writes('Boris', 'Petr', '2026-02-01 10:11+00');
RESET ROLE;
SELECT is(pg_temp.manager('Petr lead'), 'Anna', 'of two employees the first to write gets the lead');

-- client_responsible: a lead without a manager gets the client's responsible manager.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
UPDATE crm.accounts SET lead_manager_mode = 'client_responsible' WHERE id = :a;
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Olga', 'Responsible lead', '2026-06-01 09:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Responsible lead'), 'Anna', 'client_responsible: a new lead gets the client''s responsible manager at once');
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT pg_temp.writes('Boris', 'Olga', '2026-06-01 09:05+00');
RESET ROLE;
SELECT is(pg_temp.manager('Responsible lead'), 'Anna', 'client_responsible: a message by another employee changes nothing');
-- Ivan has no responsible manager yet: the first writer becomes it, and gets the lead.
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Ivan', 'Ivan lead', '2026-06-01 09:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Ivan lead'), 'nobody', 'client_responsible: a client without a responsible manager leaves the lead without one');
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT pg_temp.writes('Boris', 'Ivan', '2026-06-01 09:30+00');
RESET ROLE;
SELECT is(pg_temp.manager('Ivan lead'), 'Boris', 'client_responsible: the first writer becomes responsible and gets the lead');
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Ivan', 'Ivan second lead', '2026-06-02 09:00+00');
RESET ROLE;
SELECT is(pg_temp.manager('Ivan second lead'), 'Boris', 'client_responsible: the client''s next lead gets its responsible manager');
-- A responsible manager set by hand reaches the client's leads without one.
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Masha');
SELECT crm_test.act('crm_test_manager', :a);
SELECT pg_temp.site_lead('Masha', 'Masha lead', '2026-06-02 09:00+00');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
UPDATE crm.clients SET responsible_id = :anna WHERE name IN ('Masha', 'Ivan');
RESET ROLE;
SELECT is(pg_temp.manager('Masha lead'), 'Anna', 'client_responsible: a responsible manager set by hand reaches the leads without one');
SELECT is(pg_temp.manager('Ivan lead'), 'Boris', 'client_responsible: a lead with a manager keeps it');

-- The setting: admins change it; one of its two values.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$UPDATE crm.accounts SET lead_manager_mode = 'first_writer'$$, '42501', NULL,
                 'a manager cannot change lead_manager_mode');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok($$UPDATE crm.accounts SET lead_manager_mode = 'round_robin'$$, '22023',
                 'lead_manager_mode "round_robin" is not one of its choices', 'an unknown lead_manager_mode is refused');
UPDATE crm.accounts SET lead_manager_mode = 'first_writer';
RESET ROLE;
SELECT is((SELECT lead_manager_mode FROM crm.accounts WHERE id = :a), 'first_writer', 'an admin sets lead_manager_mode');
SELECT crm_test.company('Fresh') AS fresh \gset
SELECT is((SELECT lead_manager_mode FROM crm.accounts WHERE id = :fresh), 'first_writer',
          'a new account gives leads to the first writer');

SELECT * FROM finish();
ROLLBACK;
