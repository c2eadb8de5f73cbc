-- Clients and client phones: E.164 from raw, invalid numbers refused, the right to see customers.
BEGIN;
SELECT plan(26);

SELECT crm_test.company('Clients RU', 'RU') AS ru \gset
SELECT crm_test.company('Clients UA', 'UA') AS ua \gset

SELECT columns_are('crm', 'clients', ARRAY['account_id', 'id', 'name', 'email', 'category', 'responsible_id', 'note',
    'tags', 'budget', 'birthday', 'city', 'address', 'ip', 'attrs', 'created_at', 'contact_flagged', 'timezone'], 'crm.clients has the public columns');
SELECT has_index('crm', 'client_phones', 'client_phones_phone_idx', ARRAY['account_id', 'phone'],
    'client phones are indexed by E.164 within an account');

SELECT crm_test.act('crm_test_manager', :ru, 'Anna');
INSERT INTO crm.clients (name, category, tags, budget, birthday, city, ip, attrs, note, responsible_id)
    VALUES ('Ivan', 'client', '{vip}', 1000, '1990-05-01', 'Moscow', '10.0.0.1', '{"src": "web"}', 'n',
            crm_test.id('employees', :ru, 'Anna')) RETURNING id AS ivan \gset
INSERT INTO crm.client_phones (client_id, raw) VALUES (:ivan, '8 (916) 123-45-67');
SELECT is((SELECT phone FROM crm.client_phones WHERE client_id = :ivan AND raw = '8 (916) 123-45-67'), '+79161234567',
    'RU account: 8 (916) 123-45-67 is stored as +79161234567');
SELECT is((SELECT raw FROM crm.client_phones WHERE client_id = :ivan AND phone = '+79161234567'), '8 (916) 123-45-67',
    'the raw input is kept as typed');
INSERT INTO crm.client_phones (client_id, raw) VALUES (:ivan, '+1 650-253-0000');
SELECT is((SELECT phone FROM crm.client_phones WHERE client_id = :ivan AND raw = '+1 650-253-0000'), '+16502530000',
    'a US number in international format in a RU account');
SELECT is((SELECT count(*) FROM crm.client_phones WHERE client_id = :ivan), 2::bigint, 'a client has several phones');

SELECT throws_ok(format($$INSERT INTO crm.client_phones (client_id, raw) VALUES (%s, 'call me maybe')$$, :ivan),
    '22023', 'phone number "call me maybe" is not valid', 'a garbage phone is refused with 22023 naming it');
SELECT throws_ok(format($$INSERT INTO crm.client_phones (client_id, raw) VALUES (%s, '067 123 45 67')$$, :ivan),
    '22023', 'phone number "067 123 45 67" is not valid', 'a UA national number is not valid in a RU account');
SELECT is((SELECT count(*) FROM crm.client_phones WHERE client_id = :ivan), 2::bigint, 'refused phones left nothing behind');

INSERT INTO crm.client_phones (client_id, phone) VALUES (:ivan, '+7 (495) 123-45-67');
SELECT is((SELECT raw FROM crm.client_phones WHERE client_id = :ivan AND phone = '+74951234567'), '+7 (495) 123-45-67',
    'a number written into phone only is taken as the raw input');
SELECT throws_ok(format($$INSERT INTO crm.client_phones (client_id, raw, phone) VALUES (%s, '8 916 000 11 22', '+70000000000')$$, :ivan),
    '428C9', NULL, 'a phone that contradicts raw is refused with 428C9');
SELECT lives_ok(format($$INSERT INTO crm.client_phones (client_id, raw, phone) VALUES (%s, '8 916 000 11 22', '+79160001122')$$, :ivan),
    'a phone that agrees with raw is accepted');

UPDATE crm.client_phones SET raw = '8 916 765 43 21' WHERE client_id = :ivan AND phone = '+79160001122';
SELECT ok(EXISTS (SELECT 1 FROM crm.client_phones WHERE client_id = :ivan AND phone = '+79167654321'),
    'updating raw recomputes phone');
SELECT throws_ok(format($$UPDATE crm.client_phones SET raw = 'x' WHERE client_id = %s AND phone = '+79167654321'$$, :ivan),
    '22023', 'phone number "x" is not valid', 'updating raw to garbage is refused');
SELECT throws_ok(format($$UPDATE crm.client_phones SET phone = '+79990000000' WHERE client_id = %s AND phone = '+79167654321'$$, :ivan),
    '428C9', NULL, 'updating phone alone is refused with 428C9');
RESET ROLE;

-- The account's region decides national numbers.
SELECT crm_test.act('crm_test_manager', :ua, 'Anna');
INSERT INTO crm.clients (name) VALUES ('Olena') RETURNING id AS olena \gset
INSERT INTO crm.client_phones (client_id, raw) VALUES (:olena, '067 123 45 67');
SELECT is((SELECT phone FROM crm.client_phones WHERE client_id = :olena), '+380671234567',
    'UA account: 067 123 45 67 is stored as +380671234567');
-- (read apart: on Citus a statement on one account's shard runs whole on its worker)
SELECT count(*) AS ru_seen FROM crm.clients WHERE account_id = :ru \gset
SELECT is(:ru_seen::bigint, 0::bigint, 'clients of another account are invisible');
RESET ROLE;

-- The right to see customers.
SELECT crm_test.act('crm_test_manager', :ru, 'Hidden');
SELECT is(crm.can_see_customers(), false, 'Hidden may not see customers');
SELECT is((SELECT count(*) FROM crm.clients), 0::bigint, 'Hidden sees no clients');
SELECT is((SELECT count(*) FROM crm.client_phones), 0::bigint, 'Hidden sees no client phones');
SELECT throws_ok($$INSERT INTO crm.clients (name) VALUES ('Sneaky')$$, '42501', NULL, 'Hidden cannot add clients');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :ru, 'Anna');
SELECT is((SELECT count(*) FROM crm.clients), 1::bigint, 'Anna sees the clients of her account');
RESET ROLE;
SELECT crm_test.act('crm_test_reader', :ru);
SELECT is((SELECT count(*) FROM crm.client_phones), 4::bigint, 'a reader with no employee set reads through its grants');
RESET ROLE;

-- A change of the right applies at once, also inside the transaction.
UPDATE crm.employees SET can_see_customers = true WHERE account_id = :ru AND name = 'Hidden';
SELECT crm_test.act('crm_test_manager', :ru, 'Hidden');
SELECT is((SELECT count(*) FROM crm.clients), 1::bigint, 'granted the right, Hidden sees clients');
RESET ROLE;
UPDATE crm.employees SET can_see_customers = false WHERE account_id = :ru AND name = 'Anna';
SELECT crm_test.act('crm_test_manager', :ru, 'Anna');
SELECT is((SELECT count(*) FROM crm.clients), 0::bigint, 'the right taken away, Anna sees none');
RESET ROLE;
SELECT set_config('crm.account_id', :'ru', true), set_config('crm.employee_id', '999999', true);
SET LOCAL ROLE crm_test_manager;
SELECT is((SELECT count(*) FROM crm.clients), 0::bigint, 'an employee id naming no employee sees no clients');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
