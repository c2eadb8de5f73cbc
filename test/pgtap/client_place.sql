-- The client's country, area and current time (article 003, the invoice card: "the
-- country and city are determined automatically ... the client's current time is
-- determined too").  crm takes them from the client's first phone (libphonenumber and
-- its offline geocoder; there is no offline IP database): invoice_card and chat_list
-- show client_country, client_area, client_timezone and client_local_time.
BEGIN;
SELECT plan(22);

-- An RU account in Europe/Moscow (crm_test.company).
CREATE TEMP TABLE t AS SELECT crm_test.company('Shop') AS a;
GRANT SELECT ON t TO crm_reader;
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Anna');
INSERT INTO crm.clients (name) VALUES ('Ivan'), ('Olga'), ('Petr'), ('Taras'), ('Nobody');
INSERT INTO crm.clients (name, timezone) VALUES ('Elena', 'Asia/Yekaterinburg');
-- Ivan: a Moscow landline, then a Minsk one (the first phone counts).
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '8 (495) 123-45-67' FROM crm.clients WHERE name = 'Ivan';
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '+375 17 212-34-56' FROM crm.clients WHERE name = 'Ivan';
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '+375 17 212-34-56' FROM crm.clients WHERE name = 'Olga';
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '8 916 123-45-67' FROM crm.clients WHERE name = 'Petr';
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '+380 44 123 45 67' FROM crm.clients WHERE name = 'Taras';
INSERT INTO crm.client_phones (client_id, raw)
  SELECT id, '8 (343) 123-45-67' FROM crm.clients WHERE name = 'Elena';
INSERT INTO crm.invoices (client_id, amount) SELECT id, 100 FROM crm.clients ORDER BY id;
INSERT INTO crm.conversations (client_id) SELECT id FROM crm.clients ORDER BY id;

SELECT results_eq($$SELECT client, client_country, client_area, client_timezone FROM crm.invoice_card ORDER BY client_id$$,
                  $$VALUES ('Ivan', 'RU', 'Moscow', 'Europe/Moscow'),
                           ('Olga', 'BY', 'Minsk', 'Europe/Minsk'),
                           ('Petr', 'RU', 'Russia', 'Europe/Moscow'),
                           ('Taras', 'UA', 'Kyiv city', 'Europe/Moscow'),
                           ('Nobody', NULL, NULL, 'Europe/Moscow'),
                           ('Elena', 'RU', 'Ekaterinburg', 'Asia/Yekaterinburg')$$,
                  'the invoice card: country and area of the first phone; the client''s zone, else the country''s only one, else the account''s');
SELECT ok((SELECT client_local_time BETWEEN (now() AT TIME ZONE 'Europe/Minsk') AND (clock_timestamp() AT TIME ZONE 'Europe/Minsk')
             FROM crm.invoice_card WHERE client = 'Olga'),
          'the client''s current time is now() in its zone');
SELECT ok((SELECT client_local_time BETWEEN (now() AT TIME ZONE 'Asia/Yekaterinburg') AND (clock_timestamp() AT TIME ZONE 'Asia/Yekaterinburg')
             FROM crm.invoice_card WHERE client = 'Elena'),
          'in the zone the client row names');
SELECT ok((SELECT client_local_time BETWEEN (now() AT TIME ZONE 'Europe/Moscow') AND (clock_timestamp() AT TIME ZONE 'Europe/Moscow')
             FROM crm.invoice_card WHERE client = 'Nobody'),
          'in the account''s zone for a client without phones');
SELECT results_eq($$SELECT client, client_country, client_area, client_timezone, client_local_time FROM crm.chat_list ORDER BY client_id$$,
                  $$SELECT client, client_country, client_area, client_timezone, client_local_time FROM crm.invoice_card ORDER BY client_id$$,
                  'the chat list shows the same');
SELECT is((SELECT array_agg(attname ORDER BY attnum DESC) FROM (
             SELECT attname, attnum FROM pg_attribute WHERE attrelid = 'crm.invoice_card'::regclass AND attnum > 0
             ORDER BY attnum DESC LIMIT 4) c),
          ARRAY['client_local_time', 'client_timezone', 'client_area', 'client_country']::name[],
          'the four columns come last in invoice_card');
SELECT is((SELECT array_agg(attname ORDER BY attnum DESC) FROM (
             SELECT attname, attnum FROM pg_attribute WHERE attrelid = 'crm.chat_list'::regclass AND attnum > 0
             ORDER BY attnum DESC LIMIT 4) c),
          ARRAY['client_local_time', 'client_timezone', 'client_area', 'client_country']::name[],
          'and in chat_list');

-- The zone of a client: validated like the account's; changing the zone changes the card.
SELECT throws_ok($$UPDATE crm.clients SET timezone = 'Europe/Atlantis' WHERE name = 'Olga'$$,
                 '22023', 'time zone "Europe/Atlantis" is not recognized', 'a time zone PostgreSQL does not know is refused');
UPDATE crm.clients SET timezone = 'Europe/Warsaw' WHERE name = 'Olga';
SELECT is((SELECT client_timezone FROM crm.invoice_card WHERE client = 'Olga'), 'Europe/Warsaw',
          'clients.timezone wins over the phone''s country');
UPDATE crm.clients SET timezone = NULL WHERE name = 'Olga';
-- A new first phone moves the client.
DELETE FROM crm.client_phones WHERE client_id = (SELECT id FROM crm.clients WHERE name = 'Ivan') AND raw LIKE '8%';
SELECT is((SELECT client_country || ' ' || client_area || ' ' || client_timezone FROM crm.invoice_card WHERE client = 'Ivan'),
          'BY Minsk Europe/Minsk', 'computed at query time: with the Moscow phone gone, Ivan is in Minsk');
RESET ROLE;

-- An employee without can_see_customers sees no client, so no place of one.
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Hidden');
SELECT is((SELECT count(*) FROM crm.invoice_card WHERE client_country IS NOT NULL OR client_area IS NOT NULL
                                                   OR client_timezone IS NOT NULL OR client_local_time IS NOT NULL),
          0::bigint, 'hidden clients have no country, area, zone or time on the invoice card');
RESET ROLE;

-- The functions behind the columns.
SELECT crm_test.act('crm_test_reader', (SELECT a FROM t));
SELECT is(crm.phone_country('+74951234567'), 'RU', 'phone_country: +7 495 is RU');
SELECT is(crm.phone_country('+77011234567'), 'KZ', 'phone_country: +7 701 is KZ (one calling code, two countries)');
SELECT is(crm.phone_country('8 495 123-45-67'), NULL, 'phone_country: NULL for what is not E.164');
SELECT is(crm.phone_country('+80012345678'), NULL, 'phone_country: NULL for a number of no country');
SELECT is(crm.phone_country('+7000'), NULL, 'phone_country: NULL for a number that is not valid');
SELECT is(crm.phone_area('+375172123456', 'ru'), 'Минск', 'phone_area in Russian');
SELECT is(crm.phone_area('+380441234567', 'uk'), 'м. Київ', 'phone_area in Ukrainian');
SELECT is(crm.phone_area('+79161234567'), 'Russia', 'phone_area of a mobile: its country');
SELECT throws_ok($$SELECT crm.phone_area('+74951234567', 'русский')$$, '22023', 'language "русский" is not valid',
                 'phone_area refuses a language that is not a code');
SELECT is(crm.country_timezone('by'), 'Europe/Minsk', 'country_timezone: the only zone of BY');
SELECT is(ARRAY[crm.country_timezone('RU'), crm.country_timezone('UA'), crm.country_timezone('XX')], ARRAY[NULL, NULL, NULL]::text[],
          'country_timezone: NULL for countries with several zones and unknown codes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
