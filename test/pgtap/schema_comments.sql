-- The schema describes itself: every table, view and column of schema crm, and every
-- function, has a comment (COMMENT ON beside the object, in its src/<concept>.sql), and
-- every function argument has a name, so that \d+ and \df+ explain all of crm.  Generated
-- from the catalog: an object added without its comment fails here, named.  A comment
-- may open with PostGraphile smart tags, one per line (@primaryKey ..., @foreignKey ...);
-- the sentences after them are held to the same rules.
BEGIN;
SELECT plan(6);

-- Every described object of schema crm with its comment (NULL when it has none).
CREATE TEMP VIEW crm_described (object, description) AS
SELECT format('%s %s', CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                      WHEN 'f' THEN 'foreign table' ELSE 'table' END, c.oid::regclass),
       obj_description(c.oid, 'pg_class')
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT format('column %s.%s', c.oid::regclass, quote_ident(a.attname)), col_description(c.oid, a.attnum)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT format('function %s', p.oid::regprocedure), obj_description(p.oid, 'pg_proc')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace;
-- The text of each comment without the smart tags of its first lines.
CREATE TEMP VIEW crm_sentences (object, description) AS
SELECT object, regexp_replace(description, '^(@[^\n]*\n)+', '') FROM crm_described;

SELECT is(ARRAY(SELECT object FROM crm_described
                WHERE object NOT LIKE 'column %' AND object NOT LIKE 'function %' AND description IS NULL
                ORDER BY 1),
          '{}'::text[], 'every table and view of schema crm has a comment');

SELECT is(ARRAY(SELECT object FROM crm_described
                WHERE object LIKE 'column %' AND description IS NULL ORDER BY 1),
          '{}'::text[], 'every column of every table and view of schema crm has a comment');

SELECT is(ARRAY(SELECT object FROM crm_described
                WHERE object LIKE 'function %' AND description IS NULL ORDER BY 1),
          '{}'::text[], 'every function of schema crm has a comment');

-- Input and output arguments alike (a RETURNS TABLE column is an output argument).
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'crm'::regnamespace
                  AND EXISTS (SELECT FROM generate_series(1, coalesce(array_length(p.proallargtypes, 1), p.pronargs)) i
                              WHERE coalesce(p.proargnames[i], '') = '')
                ORDER BY 1),
          '{}'::text[], 'every argument of every function of schema crm has a name');

-- One voice: sentences, each comment starting with a capital (or another non-lowercase
-- character) and ending with a period, no space around it.
SELECT is(ARRAY(SELECT object FROM crm_sentences
                WHERE description !~ '^\S(.*\S)?$' OR description ~ '^[[:lower:]@]' OR description !~ '\.$'
                ORDER BY 1),
          '{}'::text[], 'every comment of schema crm is written as sentences: a capital first, a period last, no space around it');

SELECT is(ARRAY(SELECT object FROM crm_sentences WHERE description ~ '\n@' ORDER BY 1),
          '{}'::text[], 'smart tags stand only in the first lines of a comment, before its sentences');

SELECT * FROM finish();
ROLLBACK;
