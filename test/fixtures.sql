-- test/fixtures.sql: test helpers (not part of the extension), loaded into the pgTAP
-- database, each suite's databases and the benchmark's behaviour tests.
-- crm_test.company(name) creates an account with a small, fixed shape and returns its id:
--   statuses New, In work, Won, Lost (+ Paid order, won); lead type "Sales" (default,
--   L-{N:5}) with rules New -> In work | Lost, In work -> Won | Lost; lead type "Repair"
--   (R-{YYYY}-{N}) with no rules; employees Admin (admin), Anna and Boris (managers),
--   Hidden (manager without can_see_customers), Gone (inactive).
-- Login-less test roles: crm_test_admin, crm_test_manager, crm_test_reader.

CREATE SCHEMA crm_test;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_test_admin') THEN
    CREATE ROLE crm_test_admin NOLOGIN IN ROLE crm_admin, crm_service;
    CREATE ROLE crm_test_manager NOLOGIN IN ROLE crm_manager, crm_service;
    CREATE ROLE crm_test_reader NOLOGIN IN ROLE crm_reader, crm_service;
  END IF;
END $$;
GRANT USAGE ON SCHEMA crm_test TO crm_reader;

CREATE FUNCTION crm_test.company(company text, region text DEFAULT 'RU') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  a bigint; s_new bigint; s_work bigint; s_won bigint; s_lost bigint; s_paid bigint;
BEGIN
  INSERT INTO crm.accounts (name, default_region, timezone) VALUES (company, region, 'Europe/Moscow')
    RETURNING id INTO a;
  INSERT INTO crm.statuses (account_id, name, kind, position) VALUES (a, 'New', 'open', 1) RETURNING id INTO s_new;
  INSERT INTO crm.statuses (account_id, name, kind, position) VALUES (a, 'In work', 'open', 2) RETURNING id INTO s_work;
  INSERT INTO crm.statuses (account_id, name, kind, position) VALUES (a, 'Won', 'won', 3) RETURNING id INTO s_won;
  INSERT INTO crm.statuses (account_id, name, kind, position) VALUES (a, 'Lost', 'lost', 4) RETURNING id INTO s_lost;
  INSERT INTO crm.statuses (account_id, name, kind, position) VALUES (a, 'Paid order', 'won', 5) RETURNING id INTO s_paid;
  UPDATE crm.accounts SET order_won_status_id = s_paid WHERE id = a;
  INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template, is_default)
    VALUES (a, 'Sales', s_new, 'L-{N:5}', true);
  INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template, is_default)
    VALUES (a, 'Repair', s_new, 'R-{YYYY}-{N}', false);
  INSERT INTO crm.status_transitions (account_id, lead_type_id, from_status_id, to_status_id)
    SELECT a, t.id, f, x FROM crm.lead_types t,
      (VALUES (s_new, s_work), (s_new, s_lost), (s_work, s_won), (s_work, s_lost)) AS r(f, x)
    WHERE t.account_id = a AND t.name = 'Sales';
  INSERT INTO crm.employees (account_id, name, email, role, can_see_customers, active) VALUES
    (a, 'Admin', 'admin@example.com', 'admin', true, true),
    (a, 'Anna', 'anna@example.com', 'manager', true, true),
    (a, 'Boris', 'boris@example.com', 'manager', true, true),
    (a, 'Hidden', 'hidden@example.com', 'manager', false, true),
    (a, 'Gone', 'gone@example.com', 'manager', true, false);
  INSERT INTO crm.campaigns (account_id, name) VALUES (a, 'Search'), (a, 'Social');
  INSERT INTO crm.locations (account_id, name) VALUES (a, 'Moscow');
  RETURN a;
END $$;

-- Id of a named row of an account: crm_test.id('statuses', account, 'Won').
CREATE FUNCTION crm_test.id(tab text, account bigint, label text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE r bigint;
BEGIN
  EXECUTE format('SELECT id FROM crm.%I WHERE account_id = $1 AND name = $2', tab) INTO r USING account, label;
  IF r IS NULL THEN RAISE EXCEPTION 'crm_test.id: no % named % in account %', tab, label, account; END IF;
  RETURN r;
END $$;

-- Acts as a role of an account, optionally as an employee.  SET LOCAL statements, not
-- set_config(): on Citus (citus.propagate_set_commands = 'local') they reach the workers.
CREATE FUNCTION crm_test.act(role text, account bigint, employee text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SET LOCAL crm.account_id = %L', coalesce(account::text, ''));
  EXECUTE format('SET LOCAL crm.employee_id = %L',
    coalesce((SELECT id::text FROM crm.employees WHERE account_id = account AND name = employee), ''));
  EXECUTE format('SET LOCAL ROLE %I', role);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm_test TO crm_reader;

-- crm_test.poison(): a test-only trigger on crm.leads that fails the overdue marking of
-- any lead whose contact_name is 'Poisoned' (SQLSTATE 22P05), so that crm.run_due meets a
-- due item it cannot handle; crm_test.unpoison() removes it.
CREATE FUNCTION crm_test.refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_name = 'Poisoned' AND NEW.overdue_since IS NOT NULL THEN
    RAISE EXCEPTION 'lead % is poisoned', NEW.number USING ERRCODE = '22P05';
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION crm_test.poison() RETURNS void LANGUAGE sql AS $$
  CREATE OR REPLACE TRIGGER crm_test_poison BEFORE UPDATE ON crm.leads FOR EACH ROW EXECUTE FUNCTION crm_test.refuse_poisoned();
$$;
CREATE FUNCTION crm_test.unpoison() RETURNS void LANGUAGE sql AS $$
  DROP TRIGGER IF EXISTS crm_test_poison ON crm.leads;
$$;

CREATE FUNCTION crm_test.fill_rows(account bigint, n integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  anna bigint := crm_test.id('employees', account, 'Anna');
  boris bigint := crm_test.id('employees', account, 'Boris');
  s_work bigint := crm_test.id('statuses', account, 'In work');
  s_won bigint := crm_test.id('statuses', account, 'Won');
  s_lost bigint := crm_test.id('statuses', account, 'Lost');
  t_sales bigint := crm_test.id('lead_types', account, 'Sales');
  t_repair bigint := crm_test.id('lead_types', account, 'Repair');
  camp bigint := crm_test.id('campaigns', account, 'Search');
  loc bigint := crm_test.id('locations', account, 'Moscow');
  c bigint; l bigint; o bigint; inv bigint; off1 bigint; off2 bigint; conv bigint;
  task bigint; tpl bigint; pay bigint; i integer;
  t0 timestamptz := now() - interval '30 days';
BEGIN
  EXECUTE format('SET LOCAL crm.account_id = %L', account::text);
  EXECUTE format('SET LOCAL crm.employee_id = %L', anna::text);

  INSERT INTO crm.message_templates (account_id, name, subject, body)
    VALUES (account, 'Reminder', 'Invoice {$invoice_number}', 'Hello {$name}, your invoice is {$amount}.')
    RETURNING id INTO tpl;
  INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment)
    VALUES (account, 'Course', 1000, true) RETURNING id INTO off1;
  INSERT INTO crm.offers (account_id, name, price) VALUES (account, 'Book', 250) RETURNING id INTO off2;

  FOR i IN 1..n LOOP
    INSERT INTO crm.clients (account_id, name, email, responsible_id, tags, budget, birthday, city, ip, attrs)
      VALUES (account, 'Client ' || i || ' Клиент 😀', 'client' || i || '@example.com',
              CASE WHEN i % 2 = 0 THEN anna END, ARRAY['t' || (i % 3)], i * 100.5,
              date '1980-01-01' + i, 'Москва', '10.0.0.1', jsonb_build_object('i', i))
      RETURNING id INTO c;
    INSERT INTO crm.client_phones (account_id, client_id, raw)
      VALUES (account, c, format('8 (916) 123-%s-%s', lpad((i / 100)::text, 2, '0'), lpad((i % 100)::text, 2, '0')));

    -- Three leads per client: a Sales lead moved along its chain, a Repair lead, an overdue one.
    INSERT INTO crm.leads (account_id, type_id, client_id, contact_name, contact_phone, campaign_id, location_id,
                           comment, urgent, budget, tags, deadline)
      VALUES (account, t_sales, c, 'Contact ' || i, format('+7 916 123-%s-%s', lpad((i / 100)::text, 2, '0'), lpad((i % 100)::text, 2, '0')),
              camp, loc, 'comment ' || i, i % 4 = 0, i * 10, ARRAY['web'], now() + interval '10 days')
      RETURNING id INTO l;
    IF i % 3 <> 0 THEN
      PERFORM crm.transition_lead(l, s_work, 'taken');
      IF i % 3 = 1 THEN PERFORM crm.transition_lead(l, s_won, 'won it'); END IF;
    ELSE
      PERFORM crm.transition_lead(l, s_lost, 'lost it');
    END IF;
    UPDATE crm.leads SET deadline = now() + interval '20 days' WHERE account_id = account AND id = l;
    INSERT INTO crm.leads (account_id, type_id, contact_name, manager_id, urgent)
      VALUES (account, t_repair, 'Repair ' || i, boris, i % 2 = 0) RETURNING id INTO l;
    UPDATE crm.leads SET status_id = s_work WHERE account_id = account AND id = l;
    INSERT INTO crm.leads (account_id, contact_name, deadline, created_at)
      VALUES (account, 'Late ' || i, t0 + i * interval '1 hour', t0) RETURNING id INTO l;

    INSERT INTO crm.orders (account_id, client_id, phone, amount)
      VALUES (account, c, format('+7 916 123-%s-%s', lpad((i / 100)::text, 2, '0'), lpad((i % 100)::text, 2, '0')), i * 50)
      RETURNING id INTO o;

    INSERT INTO crm.invoices (account_id, client_id, manager_id, amount, auto_cancel_at, partner)
      VALUES (account, c, anna, 1250, CASE WHEN i % 5 = 0 THEN now() + interval '3 days' END,
              CASE WHEN i % 2 = 0 THEN 'partner ' || i % 4 END) RETURNING id INTO inv;
    INSERT INTO crm.invoice_items (account_id, invoice_id, offer_id, quantity, price)
      VALUES (account, inv, off1, 1, 1000), (account, inv, off2, 1, 250);

    INSERT INTO crm.conversations (account_id, client_id, channel) VALUES (account, c, 'chat') RETURNING id INTO conv;
    INSERT INTO crm.messages (account_id, conversation_id, direction, body, sent_at)
      VALUES (account, conv, 'in', 'Привет! {$name} DROP TABLE crm.leads; --', t0);
    INSERT INTO crm.messages (account_id, conversation_id, direction, employee_id, body, sent_at)
      VALUES (account, conv, 'out', anna, 'Hello 👋', t0 + interval '1 minute');

    IF i % 2 = 0 THEN
      INSERT INTO crm.payments (account_id, invoice_id, kind, amount, succeeded, external_id, at)
        VALUES (account, inv, 'payment', 1250, true, 'ext-' || account || '-' || i, t0 + interval '2 days');
    ELSIF i % 3 = 0 OR i = 1 THEN
      INSERT INTO crm.payments (account_id, invoice_id, kind, amount, succeeded, failure_reason, at)
        VALUES (account, inv, 'payment', 1250, false, 'card declined', t0 + interval '3 days');
    END IF;

    INSERT INTO crm.calls (account_id, invoice_id, client_id, employee_id, outcome, called_at, comment, template_id)
      VALUES (account, inv, c, anna, 'no_answer', t0 + interval '1 day', 'no answer', tpl);
    INSERT INTO crm.call_tasks (account_id, client_id, title, employee_id)
      VALUES (account, c, 'Call about the course', boris) RETURNING id INTO task;
    INSERT INTO crm.calls (account_id, task_id, client_id, employee_id, outcome, called_at, callback_at)
      VALUES (account, task, c, boris, 'call_back', t0 + interval '1 day', t0 + interval '2 days');
    INSERT INTO crm.appointments (account_id, client_id, employee_id, starts_at)
      VALUES (account, c, anna, now() + interval '1 day');
  END LOOP;

  -- A client who wrote first through a channel (crm.receive_message): its address on
  -- the channel, its conversation, message and lead.
  PERFORM crm.receive_message('telegram', '@fill_' || account, 'Fill Sender', 'Здравствуйте, хочу записаться',
                              t0 + interval '5 minutes');

  -- One order linked to an open lead.
  SELECT id INTO l FROM crm.leads WHERE account_id = account AND type_id = t_repair AND closed_at IS NULL ORDER BY id LIMIT 1;
  PERFORM crm.link_order(o, l);

  -- A login bound to the account and Anna (a role per account id, cluster-wide).
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_test_login_' || account) THEN
    EXECUTE format('CREATE ROLE %I LOGIN IN ROLE crm_manager', 'crm_test_login_' || account);
  END IF;
  PERFORM crm.bind_login(('crm_test_login_' || account)::regrole, account, anna);

  -- A lead with a phone in order auto mode takes crm's own phone lock (crm.locks).
  UPDATE crm.accounts SET order_link_mode = 'auto' WHERE id = account;
  INSERT INTO crm.leads (account_id, type_id, contact_name, contact_phone)
    VALUES (account, t_sales, 'Locked', '+7 916 000-00-01');
  UPDATE crm.accounts SET order_link_mode = 'suggest' WHERE id = account;

  -- A due item crm cannot handle (crm_test.fill_due sets it aside); its deadline is
  -- long past and that run's now just after it, so nothing else is due.
  PERFORM crm_test.poison();
  INSERT INTO crm.leads (account_id, type_id, contact_name, deadline)
    VALUES (account, t_repair, 'Poisoned', '2000-01-01 00:00:00+00');
END $$;

-- As crm_test_admin in the account (a crm_service member naming it, so that no other
-- account's due work is done): a real run of the account's due work, which sets the
-- poisoned lead aside (crm.due_failures).
CREATE FUNCTION crm_test.fill_due(account bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM crm.run_due('2000-01-01 00:00:01+00');
END $$;

-- As crm_test_admin in the account, as its employee Anna: an import run that rejects
-- its one staged lead (crm.import_batches, crm.import_rejects) ...
CREATE FUNCTION crm_test.fill_import_first(account bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crm.import_leads (number, contact_name, status) VALUES ('IMP-1', 'Rejected', 'No such status');
END $$;
CREATE FUNCTION crm_test.fill_import_run(account bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM crm.import_run();
END $$;
-- ... then one row of each kind staged for the next run (the invoice's client: the
-- account's newest).
CREATE FUNCTION crm_test.fill_import_next(account bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE c bigint := (SELECT max(id) FROM crm.clients WHERE account_id = account AND name LIKE 'Client %');
BEGIN
  INSERT INTO crm.import_clients (name, phones) VALUES ('Staged client', '+7 916 000-00-02');
  INSERT INTO crm.import_leads (number, contact_name) VALUES ('IMP-2', 'Staged lead');
  INSERT INTO crm.import_orders (number, amount) VALUES ('IMP-ORD-1', 1);
  INSERT INTO crm.import_invoices (number, client_id, amount) VALUES ('IMP-INV-1', c, 1);
  INSERT INTO crm.import_payments (invoice_number, amount, at) VALUES ('IMP-INV-1', 1, now());
END $$;

-- As the owner: the check that every table crm alone writes has rows of the account.
CREATE FUNCTION crm_test.fill_done(account bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE c bigint := (SELECT max(id) FROM crm.clients WHERE account_id = account AND name LIKE 'Client %'); tab text; has_row boolean;
BEGIN
  -- The tables only crm's triggers write got their rows through them; an empty one
  -- means a trigger no longer writes it.
  -- crm writes a transaction's events when it commits: a fill inside a test's transaction
  -- writes the first one itself (as the owner), so that crm.events and crm.event_counters
  -- hold rows of the account at once; the events of the fill follow it at commit.
  IF NOT EXISTS (SELECT 1 FROM crm.event_counters WHERE account_id = account) THEN
    INSERT INTO crm.event_counters (account_id, last_id) VALUES (account, 1);
    INSERT INTO crm.events (account_id, id, at, kind, payload)
      VALUES (account, 1, now(), 'client_created', jsonb_build_object('client_id', c, 'category', 'client'));
  END IF;
  FOREACH tab IN ARRAY ARRAY['invoice_events', 'client_contacts', 'alerts', 'outbox', 'login_bindings',
                              'locks', 'due_failures', 'import_batches', 'import_rejects'] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM crm.%I WHERE account_id = $1)', tab) INTO has_row USING account;
    IF NOT has_row THEN
      RAISE EXCEPTION 'crm_test.fill: crm.% has no row of account %', tab, account
        USING DETAIL = 'crm writes crm.' || tab || ' itself (its triggers, bind_login, run_due); the fill''s writes should have made some.';
    END IF;
  END LOOP;

END $$;

-- crm_test.fill(account, n): puts rows into every crm table for one account (made by
-- crm_test.company), through the business paths where they exist: n clients with
-- phones, 3n leads of both types in several states (some overdue, some urgent, some
-- linked), orders, offers, invoices with items, payments (each even client's paid;
-- the first client's and each odd multiple of three's failed, so that there are
-- alerts whatever n), calls, call tasks, conversations, messages, appointments,
-- templates, a client who wrote first through a channel, and an import run with a
-- rejected row and a row of each kind staged.  The tables that only crm writes
-- (invoice events, client contacts, alerts, outbox, import batches and rejects) fill
-- through it, and the fill raises when one of them is left
-- empty for the account.
-- Used by the reliability suites (test/suites/).  In its parts, each role's work a
-- step of its own (the pgTAP files, through test/pgtap/fill.psql, which Citus's
-- coordinator runs a transaction per step): crm_test.fill_rows as the owner, the
-- import's three steps and fill_due as crm_test_admin, unpoison and fill_done as the
-- owner.
CREATE FUNCTION crm_test.fill(account bigint, n integer DEFAULT 10) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  old_account text := current_setting('crm.account_id', true);
  old_employee text := current_setting('crm.employee_id', true);
BEGIN
  PERFORM crm_test.fill_rows(account, n);
  PERFORM crm_test.act('crm_test_admin', account, 'Anna');
  PERFORM crm_test.fill_import_first(account);
  PERFORM crm_test.fill_import_run(account);
  PERFORM crm_test.fill_import_next(account);
  PERFORM crm_test.fill_due(account);
  RESET ROLE;
  PERFORM crm_test.unpoison();
  PERFORM crm_test.fill_done(account);
  EXECUTE format('SET LOCAL crm.account_id = %L', coalesce(old_account, ''));
  EXECUTE format('SET LOCAL crm.employee_id = %L', coalesce(old_employee, ''));
END $$;
