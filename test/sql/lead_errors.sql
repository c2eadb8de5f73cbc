-- The exact errors a DBA and an application see for bad lead input.
-- Explicit ids keep the messages stable whatever ran before.
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_regress_manager') THEN
    CREATE ROLE crm_regress_manager NOLOGIN IN ROLE crm_manager, crm_service;
  END IF;
END $$;
INSERT INTO crm.accounts (id, name) VALUES (9101, 'Regress A'), (9102, 'Regress B');
INSERT INTO crm.statuses (account_id, id, name, kind, position) VALUES
  (9101, 9101, 'New', 'open', 1), (9101, 9102, 'Qualified', 'open', 2),
  (9101, 9103, 'Won', 'won', 3), (9101, 9104, 'Lost', 'lost', 4),
  (9102, 9105, 'Other account', 'open', 1);
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
  VALUES (9101, 9101, 'Sales', 9101, 'S-{N:4}', true);
INSERT INTO crm.status_transitions (account_id, lead_type_id, from_status_id, to_status_id) VALUES
  (9101, 9101, 9101, 9102), (9101, 9101, 9101, 9104), (9101, 9101, 9102, 9103), (9101, 9101, 9102, 9104);
INSERT INTO crm.leads (account_id, id, contact_name) VALUES (9101, 9101, 'Ivan');
SELECT number, status_id FROM crm.leads WHERE id = 9101;

SET crm.account_id = 9101;
SET ROLE crm_regress_manager;
-- A transition with no rule: the hint lists what is allowed.
SELECT crm.transition_lead(9101, 9103);
UPDATE crm.leads SET status_id = 9103 WHERE id = 9101;
-- Unknown status, unknown type, a status of another account.
SELECT crm.transition_lead(9101, 424242);
INSERT INTO crm.leads (contact_name, type_id) VALUES ('x', 424242);
INSERT INTO crm.leads (contact_name, status_id) VALUES ('x', 9105);
-- A lead that does not exist (or belongs to another account).
SELECT crm.transition_lead(424242, 9102);
SELECT * FROM crm.allowed_transitions(9101);
-- Derived and fixed columns.
INSERT INTO crm.leads (contact_name, number) VALUES ('x', 'S-0001');
UPDATE crm.leads SET number = 'S-9999' WHERE id = 9101;
-- A manager cannot change settings, statuses, types or transitions.
UPDATE crm.accounts SET timezone = 'UTC';
INSERT INTO crm.statuses (name) VALUES ('Mine');
UPDATE crm.lead_types SET number_template = 'X-{N}';
DELETE FROM crm.status_transitions;
-- Nothing changed.
SELECT number, status_id, closed_at IS NULL AS open FROM crm.leads WHERE id = 9101;
SELECT count(*) AS events FROM crm.lead_events WHERE lead_id = 9101;
RESET ROLE;

-- No account selected: a write fails closed.
RESET crm.account_id;
SET ROLE crm_regress_manager;
INSERT INTO crm.leads (contact_name) VALUES ('x');
SELECT count(*) AS visible_leads FROM crm.leads;
RESET ROLE;
SET crm.account_id = 'not a number';

-- Number templates are checked when saved.
INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (9101, 'Bad', 9101, 'X-{DD}-{N}');
INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (9101, 'Bad', 9101, 'X-{YYYY}');
INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (9101, 'Bad', 9101, 'X-{N}-{N}');
INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (9101, 'Bad', 9101, 'X-{N:0}');
INSERT INTO crm.lead_types (account_id, name, initial_status_id, number_template) VALUES (9101, 'Bad', 9101, 'X-{N');
-- History cannot be rewritten, leads cannot be deleted, not even by the owner.
UPDATE crm.lead_events SET kind = 'x' WHERE lead_id = 9101;
DELETE FROM crm.leads WHERE id = 9101;
-- Folding the kept-up lead counts needs a READ COMMITTED transaction.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT crm.fold_lead_counts();
ROLLBACK;
