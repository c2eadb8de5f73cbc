-- Security, generated from the catalog so that every table and view any concept adds is
-- covered: account isolation for reads and writes, read-only readers, managers that cannot
-- change settings, the can_see_customers right, and functions that a hostile search_path
-- cannot trick.
BEGIN;

CREATE TEMP TABLE sec_settings (rel regclass);
-- A cast, so that a settings table that is missing fails the file.
INSERT INTO sec_settings SELECT ('crm.' || t)::regclass FROM unnest(ARRAY['accounts', 'employees', 'statuses',
    'lead_types', 'status_transitions', 'campaigns', 'locations', 'offers', 'message_templates']) t;
GRANT SELECT ON sec_settings TO crm_reader;

SELECT crm_test.company('Security A') AS a \gset
SELECT crm_test.company('Security B') AS b \gset
\set fill_n 3
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
-- Fold the lead counts, then write once more, so both crm.lead_counts and
-- crm.lead_count_changes hold rows of each account.
SELECT crm.fold_lead_counts() IS NOT NULL AS folded;
INSERT INTO crm.leads (account_id, contact_name) VALUES (:a, 'After the fold'), (:b, 'After the fold');

-- try(sql): 'rows N' when it runs, else its SQLSTATE; as the calling role.
-- (Through a Citus coordinator the file's steps commit: a run after another finds its
-- schemas left behind.)
DROP SCHEMA IF EXISTS crm_sec, evil CASCADE;
CREATE SCHEMA crm_sec;
GRANT USAGE ON SCHEMA crm_sec TO crm_reader;
CREATE FUNCTION crm_sec.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'rows ' || n;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- Every relation of the schema, with its tenancy key, a column to write, and one row of B.
CREATE TABLE crm_sec.rels AS
SELECT c.oid::regclass AS rel, c.relkind::text AS kind,
       CASE WHEN c.oid = 'crm.accounts'::regclass THEN 'id' ELSE 'account_id' END AS key,
       (SELECT quote_ident(a.attname) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
          AND a.attidentity = '' AND a.attname NOT IN ('id', 'account_id')
        ORDER BY a.attnum LIMIT 1) AS col,
       -- What an insert must give: the account and the columns required without a default.
       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = ''
          AND (a.attname IN ('account_id') OR (a.attnotnull AND NOT a.atthasdef))) AS ins_cols
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v')
  -- The vocabularies (vocabularies.sql) hold rows of no account; identity.sql pins that.
  AND (c.oid = 'crm.accounts'::regclass
       OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id'));
ALTER TABLE crm_sec.rels ADD b_rows bigint, ADD b_row jsonb;

SELECT plan((SELECT count(*)::int * 7 FROM crm_sec.rels WHERE kind <> 'v')
          + (SELECT count(*)::int * 3 FROM crm_sec.rels WHERE kind = 'v')
          + (SELECT count(*)::int * 2 FROM sec_settings)
          + 12);
-- crm.important shows the session employee's alerts: count B's as an employee of B who has some.
-- (The employee read first, and both set by SET LOCAL: a set_config() in a query on a
-- distributed table would run on the Citus worker Citus sends the query to, and one on
-- its own would not reach the workers, where crm.important reads the employee.)
SELECT coalesce((SELECT min(employee_id)::text FROM crm.alerts WHERE account_id = :b AND resolved_at IS NULL), '')
       AS b_alerted \gset
SET LOCAL crm.account_id = :'b';
SET LOCAL crm.employee_id = :'b_alerted';
-- Each relation's rows read first, then written into crm_sec.rels (a table of this node:
-- Citus plans no UPDATE of it from a subquery on a distributed table).
DO $$
DECLARE r record; n bigint; j jsonb; b bigint := current_setting('crm.account_id')::bigint;
BEGIN
  FOR r IN SELECT rel, key FROM crm_sec.rels LOOP
    EXECUTE format('SELECT count(*) FROM %1$s WHERE %2$I = $1', r.rel, r.key) INTO n USING b;
    EXECUTE format('SELECT to_jsonb(t) FROM %1$s t WHERE %2$I = $1 LIMIT 1', r.rel, r.key) INTO j USING b;
    UPDATE crm_sec.rels SET b_rows = n, b_row = j WHERE rel = r.rel;
  END LOOP;
END $$;
SET LOCAL crm.account_id = '';
SET LOCAL crm.employee_id = '';
GRANT SELECT ON crm_sec.rels TO crm_reader;

-- B's rows exist in every relation, so that not seeing them means something.
SELECT ok(b_rows > 0, format('%s holds rows of account B', rel)) FROM crm_sec.rels ORDER BY rel::text;

-- crm_reader holds no write privilege on any table (or column of one).
SELECT ok(NOT has_table_privilege('crm_reader', rel, 'INSERT,UPDATE,DELETE,TRUNCATE')
          AND NOT has_any_column_privilege('crm_reader', rel, 'INSERT,UPDATE'),
          format('crm_reader cannot write %s', rel))
FROM crm_sec.rels WHERE kind <> 'v' ORDER BY rel::text;

-- crm_manager cannot change settings: no privilege, and an attempt fails with 42501.
SELECT ok(NOT has_table_privilege('crm_manager', rel, 'INSERT,UPDATE,DELETE,TRUNCATE')
          AND NOT has_any_column_privilege('crm_manager', rel, 'INSERT,UPDATE'),
          format('crm_manager holds no write privilege on %s', rel))
FROM sec_settings ORDER BY rel::text;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is(crm_sec.try(format('UPDATE %s SET %s = %2$s', r.rel, r.col)), '42501',
          format('a manager''s update of %s fails with 42501', r.rel))
FROM sec_settings s JOIN crm_sec.rels r ON r.rel = s.rel ORDER BY r.rel::text;
RESET ROLE;

-- An admin of account A (the widest crm role) can neither read nor write B's rows.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT ok(crm_sec.try(format('SELECT 1 FROM %s WHERE %I IS DISTINCT FROM %s', rel, key, :a)) IN ('rows 0', '42501'),
          format('an admin of A reads no row of another account in %s', rel))
FROM crm_sec.rels ORDER BY rel::text;
SELECT ok(crm_sec.try(format('UPDATE %s SET %s = %2$s WHERE %I = %s', rel, col, key, :b)) IN ('rows 0', '42501'),
          format('an admin of A updates no row of B in %s', rel))
FROM crm_sec.rels WHERE kind <> 'v' ORDER BY rel::text;
SELECT ok(crm_sec.try(format('DELETE FROM %s WHERE %I = %s', rel, key, :b)) IN ('rows 0', '42501'),
          format('an admin of A deletes no row of B in %s', rel))
FROM crm_sec.rels WHERE kind <> 'v' ORDER BY rel::text;
-- (An INSERT ... VALUES, each value taken from B's row, as an application writes a row:
-- through a Citus coordinator an INSERT ... SELECT by a crm role is pushed down or refused.)
SELECT is(crm_sec.try(format('INSERT INTO %1$s (%2$s) VALUES (%3$s)', rel, ins_cols,
                             (SELECT string_agg(format('(jsonb_populate_record(NULL::%s, %L)).%s', rel, b_row, c), ', ')
                              FROM unnest(string_to_array(ins_cols, ', ')) AS c))),
          '42501', format('an admin of A cannot insert a row of B into %s (42501)', rel))
FROM crm_sec.rels WHERE kind <> 'v' ORDER BY rel::text;
SELECT ok(crm_sec.try(format('UPDATE %1$s SET %2$I = %3$s WHERE %2$I = %4$s', rel, key, :b, :a)) !~ '^rows',
          format('an admin of A cannot move its rows of %s into B', rel))
FROM crm_sec.rels WHERE kind <> 'v' ORDER BY rel::text;
RESET ROLE;

-- The reporting role sees only its account in every view.
SELECT crm_test.act('crm_test_reader', :a);
SELECT ok(crm_sec.try(format('SELECT 1 FROM %s WHERE %I IS DISTINCT FROM %s', rel, key, :a)) IN ('rows 0', '42501'),
          format('a reader of A reads no row of another account in view %s', rel))
FROM crm_sec.rels WHERE kind = 'v' ORDER BY rel::text;
RESET ROLE;

-- A reader may execute only functions that cannot write (none VOLATILE).
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'crm'::regnamespace AND p.provolatile = 'v'
                  AND has_function_privilege('crm_reader', p.oid, 'EXECUTE') ORDER BY 1),
          '{}'::text[], 'crm_reader can execute no volatile crm function');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'crm'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')
                ORDER BY 1),
          '{}'::text[], 'PUBLIC can execute no crm function');

-- An employee without can_see_customers sees no client data.
SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT is((SELECT count(*) FROM crm.clients), 0::bigint, 'an employee without can_see_customers sees no clients');
SELECT is((SELECT count(*) FROM crm.client_phones), 0::bigint, 'an employee without can_see_customers sees no client phones');
SELECT is((SELECT count(*) FROM crm.lead_board WHERE client IS NOT NULL), 0::bigint,
          'an employee without can_see_customers sees no client names on the lead board');
RESET ROLE;

-- Every function pins its search_path, except the four that policies call per row, and the
-- CHECK helpers of values.sql, the value trigger of value_checks.sql and the two guards,
-- called per row written, and the client's place of client_place.sql, called per row of
-- two views, all C: the helpers, the value trigger, the place and two of the four run no
-- query; the guards and the other two run only identity's binding lookup and
-- crm.can_see_customers()'s query, which name every object and operator with their schema
-- (the hostile-path checks below prove they cannot be tricked).
CREATE TEMP TABLE unpinned (f regprocedure);
INSERT INTO unpinned VALUES ('crm.session_account()'), ('crm.current_employee()'), ('crm.can_see_customers()'),
    ('crm.customer_data_account()'),
    ('crm._time_ok(timestamptz, text)'), ('crm._date_ok(date, text)'), ('crm._amount_ok(numeric, text)'),
    ('crm._positive_amount_ok(numeric, text)'), ('crm._forward_interval_ok(interval, text)'),
    ('crm._check_values()'), ('crm._account_guard()'), ('crm._customer_guard()'),
    ('crm.phone_country(text)'), ('crm.phone_area(text, text)'), ('crm.country_timezone(text)');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'crm'::regnamespace
                  AND NOT coalesce(p.proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)
                  AND p.oid NOT IN (SELECT f FROM unpinned)
                ORDER BY 1),
          '{}'::text[], 'every crm function has SET search_path = pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT DISTINCT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.oid IN (SELECT f FROM unpinned)),
          ARRAY['c'], 'the functions without a pinned search_path are C');

-- A hostile schema first on the path, with look-alike tables, functions and an operator that
-- record being used, changes nothing.
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO crm_reader;
CREATE TABLE evil.trap (what text);
GRANT INSERT, SELECT ON evil.trap TO crm_reader;
CREATE TABLE evil.leads (LIKE crm.leads);
CREATE TABLE evil.lead_events (LIKE crm.lead_events);
CREATE TABLE evil.lead_types (LIKE crm.lead_types);
CREATE TABLE evil.statuses (LIKE crm.statuses);
CREATE TABLE evil.number_sequences (LIKE crm.number_sequences);
CREATE TABLE evil.accounts (LIKE crm.accounts);
GRANT ALL ON ALL TABLES IN SCHEMA evil TO crm_reader;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ INSERT INTO evil.trap VALUES ('now') RETURNING '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.trap VALUES ('lower') RETURNING $1 $$;
CREATE FUNCTION evil.lpad(text, integer, text) RETURNS text LANGUAGE sql AS $$ INSERT INTO evil.trap VALUES ('lpad') RETURNING 'EVIL' $$;
CREATE FUNCTION evil.eq(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO evil.trap VALUES ('= as ' || current_user) RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.eq);
CREATE FUNCTION evil.name_eq(name, name) RETURNS boolean LANGUAGE sql AS $$ INSERT INTO evil.trap VALUES ('name = as ' || current_user) RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.name_eq);
SELECT crm_test.id('statuses', :a, 'In work') AS s_work \gset
-- a change of the bindings (a statement on crm.login_bindings) makes every session look its
-- login up again, here under the hostile path
SELECT crm.unbind_login('crm_test_reader') AS unbound \gset
-- The path set with set_config(..., true), as SET LOCAL would on one server: through a
-- Citus coordinator a SET LOCAL of it would reach the workers, and crm refuses that
-- (the citus suite proves it); set_config() stays on the coordinator, where crm's own
-- code runs too.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT set_config('search_path', 'evil, crm, public, pg_catalog', true) IS NOT NULL AS evil_path \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Through evil', '2030-01-01') RETURNING id AS evil_lead, number AS evil_number \gset
SELECT crm.transition_lead(:evil_lead, :s_work, 'evil path') IS NOT NULL AS moved \gset
SELECT count(*) AS allowed FROM crm.allowed_transitions(:evil_lead) \gset
SELECT crm.current_account() AS acc \gset
RESET search_path;
RESET ROLE;
-- Every table and view read through the hostile path, by an employee not acted as
-- before in this transaction, so that rights cached per transaction are looked up, after
-- a change of the bindings, so that the login's identity is looked up too.
SELECT crm.unbind_login('crm_test_reader') AS unbound \gset
SELECT crm_test.act('crm_test_manager', :a, 'Boris');
SELECT set_config('search_path', 'evil, pg_catalog, crm, public', true) IS NOT NULL AS evil_path \gset
SELECT format('SELECT count(*) FROM %s', rel) FROM crm_sec.rels WHERE has_table_privilege('crm_test_manager', rel, 'SELECT') ORDER BY rel::text
\gexec
RESET search_path;
RESET ROLE;
SELECT ok(:'evil_number' ~ '^L-\d{5}$', 'a lead inserted with a hostile search_path gets its number');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE account_id = :a AND lead_id = :evil_lead), 2::bigint,
          'its creation and status change are recorded in crm.lead_events');
SELECT is(ARRAY(SELECT what FROM evil.trap), '{}'::text[], 'no hostile function or operator was called (writes, transitions, and a read of every table and view)');
SELECT is((SELECT count(*) FROM evil.leads) + (SELECT count(*) FROM evil.lead_events)
          + (SELECT count(*) FROM evil.number_sequences), 0::bigint, 'no look-alike table was written');
SELECT is(:allowed::bigint, 2::bigint, 'allowed_transitions answers normally with a hostile search_path');

SELECT * FROM finish();
ROLLBACK;
