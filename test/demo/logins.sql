-- The demo's logins, created by the owner (README: Tenancy and security, Setup 1 and
-- Setup 2): a login per person, bound to its account and employee, so that it acts as
-- that person whatever it sets; a reporting login bound to no employee; and two
-- integrations that are members of crm_service and name the account per transaction.
\set ON_ERROR_STOP on
CREATE ROLE olga LOGIN IN ROLE crm_admin;
CREATE ROLE anna LOGIN IN ROLE crm_manager;
CREATE ROLE boris LOGIN IN ROLE crm_manager;
CREATE ROLE dmitry LOGIN IN ROLE crm_manager;
CREATE ROLE elena LOGIN IN ROLE crm_manager;
CREATE ROLE bi LOGIN IN ROLE crm_reader;
SELECT crm.bind_login('olga', 1, 1), crm.bind_login('anna', 1, 2), crm.bind_login('boris', 1, 3),
       crm.bind_login('dmitry', 1, 4), crm.bind_login('elena', 1, 5), crm.bind_login('bi', 1);
CREATE ROLE shop LOGIN IN ROLE crm_service, crm_manager;
CREATE ROLE messenger LOGIN IN ROLE crm_service, crm_manager;
-- People read times in the account's zone (crm.accounts.timezone).
ALTER ROLE olga SET timezone = 'Europe/Moscow';
ALTER ROLE anna SET timezone = 'Europe/Moscow';
ALTER ROLE boris SET timezone = 'Europe/Moscow';
ALTER ROLE dmitry SET timezone = 'Europe/Moscow';
ALTER ROLE elena SET timezone = 'Europe/Moscow';
ALTER ROLE bi SET timezone = 'Europe/Moscow';
