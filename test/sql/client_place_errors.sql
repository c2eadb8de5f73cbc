-- The client's place: the errors of a client's time zone PostgreSQL does not know and of
-- a geocoder language that is not a code.  Each failing statement is followed by its
-- SQLSTATE; account 8301 and its fixed ids keep every message the same.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET timezone = 'UTC';
INSERT INTO crm.accounts (id, name) VALUES (8301, 'Place A');
INSERT INTO crm.clients (account_id, id, name) VALUES (8301, 8301, 'Ivan');
SET crm.account_id = 8301;

-- clients.timezone is checked like accounts.timezone.
INSERT INTO crm.clients (name, timezone) VALUES ('Olga', 'Europe/Atlantis'); \echo SQLSTATE :SQLSTATE
UPDATE crm.accounts SET timezone = 'Europe/Atlantis' WHERE id = 8301; \echo SQLSTATE :SQLSTATE
-- The geocoder's language: ISO 639 letters, then optionally a script or region.
SELECT crm.phone_area('+74951234567', 'русский'); \echo SQLSTATE :SQLSTATE
SELECT crm.phone_area('+74951234567', 'e'); \echo SQLSTATE :SQLSTATE
SELECT crm.phone_area('+74951234567', 'en;DROP'); \echo SQLSTATE :SQLSTATE
-- What is not a number of a country is no error: NULL.
SELECT crm.phone_country('not a phone') AS country, crm.phone_area('+800 1234 5678') AS area,
       crm.country_timezone('Russia') AS zone;
SELECT crm.phone_area('+74951234567', 'pt_BR') AS area_pt, crm.phone_area('+74951234567', 'zh') AS area_zh;

-- Nothing changed.
RESET crm.account_id;
SELECT id, name, timezone FROM crm.clients WHERE account_id = 8301 ORDER BY id;
SELECT timezone FROM crm.accounts WHERE id = 8301;
