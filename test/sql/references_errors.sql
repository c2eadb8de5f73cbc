-- References crm checks instead of a foreign key: accounts.order_won_status_id names a
-- status of the account, and that status is neither deleted nor given another key
-- while an account names it; an account and an employee a login is bound to
-- (crm.login_bindings) keep their keys while it is bound.  (leads.order_id is
-- written by the link only: see linking_errors.)
-- Each failing statement is followed by its SQLSTATE; accounts 8501..8503 and their
-- fixed ids keep every message the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (8501, 'References A'), (8502, 'References B');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES
  (8501, 8501, 'New', 'open', 1), (8501, 8502, 'Paid order', 'won', 2), (8502, 8503, 'Paid order', 'won', 1);

-- A status of another account, or of none.
UPDATE crm.accounts SET order_won_status_id = 8503 WHERE id = 8501; \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET order_won_status_id = 8599 WHERE id = 8501; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.accounts (id, name, order_won_status_id) VALUES (8503, 'References C', 8501); \echo SQLSTATE :SQLSTATE
-- The account's own status.
UPDATE crm.accounts SET order_won_status_id = 8502 WHERE id = 8501;
SELECT id, order_won_status_id FROM crm.accounts WHERE id BETWEEN 8501 AND 8503 ORDER BY id;

-- The status an account names stays, under its key.
DELETE FROM crm.statuses WHERE account_id = 8501 AND id = 8502; \echo SQLSTATE :SQLSTATE
UPDATE crm.statuses SET id = 8504 WHERE account_id = 8501 AND id = 8502; \echo SQLSTATE :SQLSTATE
-- Renamed, it is still the order status; a status no account names goes.
UPDATE crm.statuses SET name = 'Paid' WHERE account_id = 8501 AND id = 8502;
DELETE FROM crm.statuses WHERE account_id = 8502 AND id = 8503;

-- An admin of account 8501, through its policies.
SET crm.account_id = 8501;
SET ROLE crm_regress_admin;
UPDATE crm.accounts SET order_won_status_id = 8599; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.statuses WHERE id = 8502; \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET order_won_status_id = NULL;
DELETE FROM crm.statuses WHERE id = 8502;
SELECT id, name FROM crm.statuses ORDER BY id;
RESET ROLE;
RESET crm.account_id;

-- A login bound to account 8502 and its employee 8501.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_bound') THEN
    CREATE ROLE crm_regress_bound NOLOGIN;
  END IF;
END $$;
INSERT INTO crm.employees (account_id, id, name) VALUES (8502, 8501, 'Bound'), (8502, 8502, 'Free');
SELECT crm.bind_login('crm_regress_bound', 8502, 8501);
DELETE FROM crm.employees WHERE account_id = 8502 AND id = 8501; \echo SQLSTATE :SQLSTATE
UPDATE crm.employees SET id = 8503 WHERE account_id = 8502 AND id = 8501; \echo SQLSTATE :SQLSTATE
DELETE FROM crm.accounts WHERE id = 8502; \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET id = 8504 WHERE id = 8502; \echo SQLSTATE :SQLSTATE
-- Other changes go; an employee no login is bound to goes.
UPDATE crm.employees SET name = 'Still bound' WHERE account_id = 8502 AND id = 8501;
UPDATE crm.accounts SET name = 'References B2' WHERE id = 8502;
DELETE FROM crm.employees WHERE account_id = 8502 AND id = 8502;
-- Unbound (or bound to none), the employee goes.
SELECT crm.bind_login('crm_regress_bound', 8502);
DELETE FROM crm.employees WHERE account_id = 8502 AND id = 8501;
DELETE FROM crm.accounts WHERE id = 8502; \echo SQLSTATE :SQLSTATE
SELECT crm.unbind_login('crm_regress_bound');
SELECT account_id, id, name FROM crm.employees WHERE account_id = 8502 ORDER BY id;
