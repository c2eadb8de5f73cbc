-- test/fixtures.sql: loaded once into the pgTAP database (not part of the extension).
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
    CREATE ROLE crm_test_admin NOLOGIN IN ROLE crm_admin;
    CREATE ROLE crm_test_manager NOLOGIN IN ROLE crm_manager;
    CREATE ROLE crm_test_reader NOLOGIN IN ROLE crm_reader;
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

-- Acts as a role of an account, optionally as an employee.
CREATE FUNCTION crm_test.act(role text, account bigint, employee text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('crm.account_id', coalesce(account::text, ''), true);
  PERFORM set_config('crm.employee_id',
    coalesce((SELECT id::text FROM crm.employees WHERE account_id = account AND name = employee), ''), true);
  EXECUTE format('SET LOCAL ROLE %I', role);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm_test TO crm_reader;
