-- PostGraphile: the smart comments that make crm serve as it is (a key on every view, the
-- vocabularies as enum tables read from their CHECK constraints, derived columns that are
-- no inputs and that crm_manager may not write), checked from the catalog so that a view
-- or a derived column added without them fails here, named.
BEGIN;
SELECT plan(9);

CREATE TEMP TABLE pgql_views AS
SELECT c.oid::regclass AS view, obj_description(c.oid, 'pg_class') AS description
FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v';
CREATE TEMP TABLE pgql_columns AS
SELECT c.oid::regclass AS rel, a.attname, col_description(c.oid, a.attnum) AS description
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r';

SELECT is(ARRAY(SELECT view::text FROM pgql_views
                WHERE description !~ '^(@[^\n]*\n)*@(primaryKey|omit)( [^\n]*)?\n' ORDER BY 1),
          '{}'::text[], 'every view of schema crm has a @primaryKey (or is @omit)');

-- A vocabulary whose constraint crm._vocabulary cannot read would come out empty.
CREATE TEMP TABLE pgql_vocabularies (view regclass, n bigint);
SELECT format('INSERT INTO pgql_vocabularies SELECT %L, count(*) FROM %s', view, view)
FROM pgql_views WHERE description ~ '^@enum\n'
\gexec
SELECT cmp_ok((SELECT count(*) FROM pgql_vocabularies), '>=', 13::bigint, 'the vocabularies are enum views');
SELECT is(ARRAY(SELECT view::text FROM pgql_vocabularies WHERE n < 2 ORDER BY 1), '{}'::text[],
          'every vocabulary view lists the values of its CHECK constraint');
SELECT is(ARRAY(SELECT value FROM crm.call_outcomes),
          ARRAY['talked', 'no_answer', 'call_back', 'already_paid', 'refused', 'wrong_contact'],
          'call_outcomes: the CHECK of crm.calls.outcome, in its order');
SELECT is(ARRAY(SELECT value FROM crm.order_statuses), ARRAY['new', 'paid', 'cancelled', 'failed'],
          'order_statuses: read from a crm._choice_ok CHECK as well');
SELECT throws_ok($$SELECT * FROM crm._vocabulary('crm.calls', 'no_such_column')$$, '42703', NULL,
                 'a column that does not exist is refused');

-- Every column crm fills is no input for PostGraphile ...
SELECT is(ARRAY(SELECT rel::text || '.' || attname FROM pgql_columns
                WHERE regexp_replace(description, '^(@[^\n]*\n)+', '') ~ '^(Set|Kept) by crm'
                  AND description !~ '^(@[^\n]*\n)*@omit create,update\n' ORDER BY 1),
          '{}'::text[], 'every column set or kept by crm is @omit create,update');
-- ... and every column crm_manager may not write, on a table it writes, is no input either.
SELECT is(ARRAY(SELECT rel::text || '.' || attname FROM pgql_columns
                WHERE EXISTS (SELECT FROM pgql_columns o WHERE o.rel = pgql_columns.rel
                              AND has_column_privilege('crm_manager', o.rel, o.attname, 'INSERT'))
                  AND NOT has_column_privilege('crm_manager', rel, attname, 'INSERT')
                  AND rel::text NOT IN ('crm.accounts', 'crm.employees', 'crm.alerts')
                  AND description !~ '^(@[^\n]*\n)*@omit create' ORDER BY 1),
          '{}'::text[], 'a column crm_manager may not insert into is @omit create (no column is left out of a grant by mistake)');

-- The columns no trigger guards are refused by the grants (42501), not overwritten.
SELECT crm_test.company('PostGraphile') AS a \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, closed_at) VALUES ('x', now())$$, '42501', NULL,
                 'closed_at of a lead is refused to crm_manager');
SELECT * FROM finish();
ROLLBACK;
