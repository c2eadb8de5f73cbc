-- DROP EXTENSION keeps the data: the refusal of DROP EXTENSION crm (with and without
-- CASCADE), DROP SCHEMA crm CASCADE and DROP OWNED BY its owner, the setting only a
-- superuser may set, and the forced drop.  In a database of its own, whose rows are
-- known: every message stays the same whatever ran before.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS crm_regress_drop;
CREATE DATABASE crm_regress_drop;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_installer') THEN
    CREATE ROLE crm_regress_installer NOLOGIN SUPERUSER;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_admin') THEN
    CREATE ROLE crm_regress_admin NOLOGIN IN ROLE crm_admin, crm_service;
  END IF;
END $$;
\c crm_regress_drop
SET client_min_messages = warning;
SET ROLE crm_regress_installer;
CREATE EXTENSION crm;
RESET ROLE;

-- An empty crm drops freely.
DROP EXTENSION crm;
SELECT count(*) AS crm_installed FROM pg_extension WHERE extname = 'crm';
SET ROLE crm_regress_installer;
CREATE EXTENSION crm;
RESET ROLE;

-- Two accounts, their statuses, a lead type and five leads (with their history,
-- their counter and their kept counts).
INSERT INTO crm.accounts (id, name) VALUES (1, 'Drop A'), (2, 'Drop B');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES
  (1, 1, 'New', 'open', 1), (1, 2, 'Won', 'won', 2), (2, 3, 'New', 'open', 1);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, is_default) VALUES (1, 1, 'Sales', 1, true);
INSERT INTO crm.leads (account_id, contact_name) SELECT 1, 'Lead ' || g FROM generate_series(1, 5) g;

DROP EXTENSION crm; \echo SQLSTATE :SQLSTATE
DROP EXTENSION crm CASCADE; \echo SQLSTATE :SQLSTATE
DROP EXTENSION IF EXISTS crm; \echo SQLSTATE :SQLSTATE
DROP SCHEMA crm CASCADE; \echo SQLSTATE :SQLSTATE
DROP OWNED BY crm_regress_installer; \echo SQLSTATE :SQLSTATE
-- Without CASCADE, PostgreSQL refuses to drop the schema itself.
DROP SCHEMA crm; \echo SQLSTATE :SQLSTATE

-- Forced, then installed again: one row, then rows in two tables.
SET crm.allow_drop_with_data = on;
DROP EXTENSION crm;
RESET crm.allow_drop_with_data;
SET ROLE crm_regress_installer;
CREATE EXTENSION crm;
RESET ROLE;
INSERT INTO crm.accounts (id, name) VALUES (1, 'Drop A');
DROP EXTENSION crm; \echo SQLSTATE :SQLSTATE
INSERT INTO crm.statuses (account_id, id, name) VALUES (1, 1, 'New'), (1, 2, 'Won');
DROP EXTENSION crm; \echo SQLSTATE :SQLSTATE

-- Only a superuser sets crm.allow_drop_with_data.
RESET crm.allow_drop_with_data;
SET ROLE crm_regress_admin;
SET crm.allow_drop_with_data = on; \echo SQLSTATE :SQLSTATE
SELECT set_config('crm.allow_drop_with_data', 'on', false); \echo SQLSTATE :SQLSTATE
SHOW crm.allow_drop_with_data;
RESET ROLE;

-- A superuser forces it.
SET crm.allow_drop_with_data = on;
DROP EXTENSION crm;
SELECT count(*) AS crm_installed FROM pg_extension WHERE extname = 'crm';

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE crm_regress_drop;
DROP ROLE crm_regress_installer;
