-- Identity: logins bound to an account and an employee cannot act as anyone else; a
-- role that is neither bound nor a member of crm_service acts in no account; members of
-- crm_service choose the account per transaction.  Generated from the catalog for every
-- table and view, plus the attacks one by one.
BEGIN;

SELECT crm_test.company('Identity A') AS a \gset
SELECT crm_test.company('Identity B') AS b \gset
\set fill_n 2
\set fill_account :a
\ir fill.psql
\set fill_account :b
\ir fill.psql
\set fill_account :a
\ir fill_due.psql
\set fill_account :b
\ir fill_due.psql
\set fill_account :a
\ir fill_done.psql
\set fill_account :b
\ir fill_done.psql
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris,
       crm_test.id('employees', :b, 'Anna') AS anna_b \gset

-- The roles: a login of A bound to Anna (made by crm_test.fill), a stranger (an admin by
-- grants, but neither bound nor crm_service), and crm_test_admin (a crm_service member).
-- Through a Citus coordinator the file's steps commit (test/suites/citus/pgtap.sh), and
-- a run after another finds the stranger, its binding and schema crm_id left behind;
-- the stranger logs in there (Citus connects to the workers as the session's role).
DROP SCHEMA IF EXISTS crm_id CASCADE;
SELECT crm.unbind_login(oid::regrole) FROM pg_roles WHERE rolname = 'crm_id_stranger';
DROP ROLE IF EXISTS crm_id_stranger;
CREATE ROLE crm_id_stranger LOGIN IN ROLE crm_admin;
SELECT format('crm_test_login_%s', :a) AS login_a \gset

CREATE SCHEMA crm_id;
GRANT USAGE ON SCHEMA crm_id TO crm_reader, crm_id_stranger;
CREATE FUNCTION crm_id.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'rows ' || n;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION crm_id.try(text) TO PUBLIC;
CREATE TABLE crm_id.rels AS
SELECT c.oid::regclass AS rel, c.relkind::text AS kind,
       CASE WHEN c.oid = 'crm.accounts'::regclass THEN 'id' ELSE 'account_id' END AS key,
       (SELECT quote_ident(a.attname) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
          AND a.attidentity = '' AND a.attname NOT IN ('id', 'account_id')
        ORDER BY a.attnum LIMIT 1) AS col
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v')
  AND (c.oid = 'crm.accounts'::regclass
       OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id'));
GRANT SELECT ON crm_id.rels TO PUBLIC;

SELECT plan((SELECT count(*)::int * 2 FROM crm_id.rels) + (SELECT count(*)::int * 3 FROM crm_id.rels WHERE kind <> 'v')
          + 33);

-- Left out: the relations of no account, which are the vocabularies (vocabularies.sql).
SELECT is(ARRAY(SELECT c.oid::regclass::text FROM pg_class c
                WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v')
                  AND c.oid NOT IN (SELECT rel FROM crm_id.rels) ORDER BY 1),
          ARRAY(SELECT c.oid::regclass::text FROM pg_class c
                WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v'
                  AND obj_description(c.oid, 'pg_class') LIKE E'@enum\n%' ORDER BY 1),
          'every table and view holds rows of an account (account_id) but the vocabularies');

-- ---- a bound login ----
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE :login_a;
SELECT is(crm.current_account(), :'a'::bigint, 'a bound login acts in its account with nothing set');
SELECT is(crm.current_employee(), :'anna'::bigint, 'a bound login acts as its employee with nothing set');
SELECT ok((SELECT count(*) FROM crm.leads) > 0 AND (SELECT count(*) FROM crm.leads WHERE account_id <> :a) = 0,
          'a bound login reads its own account''s leads and no other');
SELECT lives_ok($$SELECT set_config('crm.account_id', current_setting('crm.account_id'), true)$$,
                'setting its own account is harmless');
SELECT set_config('crm.account_id', :'a', true);
SELECT is(crm.current_account(), :'a'::bigint, 'a bound login may name its own account');

SELECT set_config('crm.account_id', :'b', true);
SELECT throws_ok('SELECT crm.current_account()', '42501', format('role "%s" is bound to account %s', :'login_a', :'a'),
                 'a bound login that sets another account gets 42501 naming its binding');
SELECT is(crm_id.try(format('SELECT 1 FROM %s', rel)), '42501',
          format('a bound login of A that sets B reads nothing of %s (42501)', rel))
FROM crm_id.rels ORDER BY rel::text;
SELECT is(crm_id.try(format('UPDATE %s SET %s = %2$s', rel, col)), '42501',
          format('a bound login of A that sets B updates nothing of %s (42501)', rel))
FROM crm_id.rels WHERE kind <> 'v' ORDER BY rel::text;
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('forged')$$, '42501',
                 NULL, 'a bound login of A that sets B cannot insert a lead');
SELECT set_config('crm.account_id', '', true);

SELECT set_config('crm.employee_id', :'boris', true);
SELECT throws_ok('SELECT crm.current_employee()', '42501', format('role "%s" is bound to employee %s', :'login_a', :'anna'),
                 'a bound login that sets a colleague''s employee id gets 42501');
SELECT throws_ok('SELECT * FROM crm.important', '42501', NULL,
                 'a bound login cannot open a colleague''s Important inbox');
SELECT set_config('crm.employee_id', '', true);
SELECT is((SELECT count(*) FROM crm.important WHERE account_id <> :a), 0::bigint,
          'with nothing set a bound login reads only its own inbox');
RESET ROLE;

-- ---- a role that is neither bound nor crm_service ----
SELECT set_config('crm.account_id', :'a', true), set_config('crm.employee_id', :'anna', true);
SET LOCAL ROLE crm_id_stranger;
SELECT is(crm.session_account(), NULL::bigint, 'a stranger has no account, whatever it sets');
SELECT is(crm.current_employee(), NULL::bigint, 'a stranger has no employee, whatever it sets');
SELECT throws_ok('SELECT crm.current_account()', '42501', 'role "crm_id_stranger" acts in no crm account',
                 'a stranger''s write has no account (42501)');
SELECT ok(crm_id.try(format('SELECT 1 FROM %s', rel)) IN ('rows 0', '42501'),
          format('a stranger that sets account A reads no row of %s', rel))
FROM crm_id.rels ORDER BY rel::text;
SELECT ok(crm_id.try(format('UPDATE %s SET %s = %2$s', rel, col)) IN ('rows 0', '42501'),
          format('a stranger updates no row of %s', rel))
FROM crm_id.rels WHERE kind <> 'v' ORDER BY rel::text;
SELECT ok(crm_id.try(format('DELETE FROM %s', rel)) IN ('rows 0', '42501'),
          format('a stranger deletes no row of %s', rel))
FROM crm_id.rels WHERE kind <> 'v' ORDER BY rel::text;
RESET ROLE;

-- ---- a crm_service member switches accounts per transaction (here: per savepoint) ----
SELECT crm_test.act('crm_test_admin', :a, 'Anna');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id <> :a), 0::bigint, 'crm_service as A reads only A');
SELECT ok((SELECT count(*) FROM crm.leads) > 0, 'crm_service as A reads A''s leads');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :b, 'Anna');
SELECT is(crm.current_account(), :'b'::bigint, 'crm_service may choose account B next');
SELECT is(crm.current_employee(), :'anna_b'::bigint, 'and B''s employee');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id <> :b), 0::bigint, 'crm_service as B reads only B');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', NULL);
SELECT is((SELECT count(*) FROM crm.leads), 0::bigint, 'crm_service that forgets the account sees nothing');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('nowhere')$$, '42501', 'no crm account is selected',
                 'and writes nothing');
RESET ROLE;

-- ---- binding and unbinding ----
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok(format('SELECT crm.bind_login(%L, %s)', 'crm_id_stranger', :a), '42501', NULL,
                 'an admin of the account cannot bind logins');
SELECT is((SELECT array_agg(role_name::text ORDER BY role_name) FROM crm.login_binding_list),
          ARRAY[:'login_a'], 'an admin lists the logins bound to its account only');
RESET ROLE;
SELECT throws_ok('SELECT crm.bind_login(''crm_id_stranger'', 999999)', '23503', 'account 999999 does not exist',
                 'binding to a missing account fails with 23503');
SELECT throws_ok(format('SELECT crm.bind_login(%L, %s, %s)', 'crm_id_stranger', :a, :anna_b), '23503', NULL,
                 'binding to an employee of another account fails with 23503');
SELECT throws_ok('SELECT crm.bind_login(''postgres'', 1)', '22023', NULL, 'a superuser cannot be bound');
SELECT lives_ok(format('SELECT crm.bind_login(%L, %s, %s)', 'crm_id_stranger', :b, :anna_b),
                'the owner binds a login');
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_id_stranger;
SELECT is(crm.current_account(), :'b'::bigint, 'the binding holds at once, in the same transaction');
RESET ROLE;
SELECT is(crm.unbind_login('crm_id_stranger'), true, 'unbind_login removes a binding');
SELECT is(crm.unbind_login('crm_id_stranger'), false, 'and reports when there was none');
SET LOCAL ROLE crm_id_stranger;
SELECT is(crm.session_account(), NULL::bigint, 'an unbound login acts in no account again');
RESET ROLE;
SELECT lives_ok(format('SELECT crm.bind_login(%L, %s)', 'crm_id_stranger', :a), 'a binding without an employee');
SELECT set_config('crm.employee_id', :'anna', true);
SET LOCAL ROLE crm_id_stranger;
SELECT throws_ok('SELECT crm.current_employee()', '42501', 'role "crm_id_stranger" is bound to no employee',
                 'a login bound to no employee cannot name one');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
