-- Phones: normalisation to E.164 with libphonenumber, regions, garbage input.
BEGIN;
SELECT plan(22);

SELECT is(crm.normalize_phone('8 (916) 123-45-67', 'RU'), '+79161234567', 'RU: 8 (916) 123-45-67 as dialled at home');
SELECT is(crm.normalize_phone('+7 916 123 45 67', 'RU'), '+79161234567', 'RU: +7 916 123 45 67 in international format');
SELECT is(crm.normalize_phone('89161234567', 'RU'), '+79161234567', 'RU: digits only with trunk prefix 8');
SELECT is(crm.normalize_phone('067 123 45 67', 'UA'), '+380671234567', 'UA: 067 123 45 67 with trunk prefix 0');
SELECT is(crm.normalize_phone('+380 67 123 45 67', 'UA'), '+380671234567', 'UA: international format');
SELECT is(crm.normalize_phone('+1 650-253-0000', 'RU'), '+16502530000', 'US number in international format, RU region');
SELECT is(crm.normalize_phone('+1 650-253-0000', 'UA'), '+16502530000', 'US number in international format, UA region');
SELECT is(crm.normalize_phone('(650) 253-0000', 'US'), '+16502530000', 'US: national format in US');
SELECT is(crm.normalize_phone('+1 650-253-0000', 'ZZ'), '+16502530000', 'international format with region ZZ');
SELECT is(crm.normalize_phone('8 (916) 123-45-67', 'ru'), '+79161234567', 'the region code is case-insensitive');

SELECT is(crm.normalize_phone('garbage', 'RU'), NULL, 'garbage is not a number: NULL');
SELECT is(crm.normalize_phone('', 'RU'), NULL, 'empty string: NULL');
SELECT is(crm.normalize_phone('123', 'RU'), NULL, 'too short: NULL');
SELECT is(crm.normalize_phone('8 (916) 123-45-67-89-01-23', 'RU'), NULL, 'too long for RU: NULL');
SELECT is(crm.normalize_phone('8 (000) 000-00-00', 'RU'), NULL, 'no such RU range: NULL');
SELECT is(crm.normalize_phone(repeat('9', 10000), 'RU'), NULL, 'very long input: NULL');
SELECT is(crm.normalize_phone(NULL, 'RU'), NULL, 'NULL in, NULL out');
SELECT is(crm.normalize_phone('8 (916) 123-45-67', 'ZZ'), NULL, 'a national number without region: NULL');

SELECT throws_ok($$SELECT crm.normalize_phone('8 916 123 45 67', 'XX')$$, '22023', 'region "XX" is not known',
    'an unknown region is refused with 22023');

-- The region defaults to the account's default_region; without an account, international format only.
SELECT crm_test.company('Phones UA', 'UA') AS ua \gset
SELECT crm_test.act('crm_test_reader', :ua);
SELECT is(crm.normalize_phone('067 123 45 67'), '+380671234567', 'default region: the account''s (UA)');
RESET ROLE;
SELECT set_config('crm.account_id', '', true);
SELECT is(crm.normalize_phone('+7 916 123 45 67'), '+79161234567', 'no account: international format works');
SELECT is(crm.normalize_phone('8 916 123 45 67'), NULL, 'no account: a national number is not valid');

SELECT * FROM finish();
ROLLBACK;
