-- adversarial.sql: calls every public crm function and writes every crm table with
-- hostile values, as an admin of account :acc; every statement runs in its own
-- subtransaction and is rolled back; the outcome ('ok' or the SQLSTATE) goes to
-- rel_adv_results.  Run by run.sh beside it, which judges the outcomes.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET statement_timeout = :'stmt_timeout';
DROP TABLE IF EXISTS rel_adv_results, rel_adv_values;
CREATE TABLE rel_adv_results (target text, what text, value_label text, outcome text, message text);
GRANT ALL ON rel_adv_results TO PUBLIC;

-- Hostile values per type (as SQL literals; NULL for all types).
CREATE TABLE rel_adv_values (typ text, label text, lit text);
INSERT INTO rel_adv_values VALUES
  ('text', 'empty', $$''$$), ('text', '1 MB', $$repeat('x', 1048576)$$),
  ('text', 'cyrillic', $$'Привет, Мир'$$), ('text', 'emoji', $$'😀🎉👍🏽'$$),
  ('text', 'sql', $$'''; DROP TABLE crm.leads; --'$$), ('text', 'template', $$'{$name} {$amount} {N} {N:99999999999} {YYYY}{MM} {'$$),
  ('text', 'format', $$'%s%n%x\\'$$), ('text', 'spaces', $$'   '$$), ('text', 'region', $$'ZZ'$$),
  ('bigint', 'zero', '0'), ('bigint', 'negative', '-1'), ('bigint', 'max', '9223372036854775807'),
  ('bigint', 'min', '(-9223372036854775807 - 1)'),
  ('integer', 'zero', '0'), ('integer', 'negative', '-1'), ('integer', 'max', '2147483647'), ('integer', 'min', '(-2147483647 - 1)'),
  ('numeric', 'negative', '-1'), ('numeric', 'huge', '1e20'), ('numeric', 'nan', $$'NaN'$$), ('numeric', 'tiny', '0.0001'),
  ('timestamp with time zone', 'far past', $$'4713-01-01 00:00:00+00 BC'$$), ('timestamp with time zone', 'far future', $$'294276-12-31 00:00:00+00'$$),
  ('timestamp with time zone', '-infinity', $$'-infinity'$$), ('timestamp with time zone', 'infinity', $$'infinity'$$),
  ('date', 'far past', $$'4713-01-01 BC'$$), ('date', 'infinity', $$'infinity'$$),
  ('interval', 'negative', $$'-1 hour'$$), ('interval', 'zero', $$'0'$$), ('interval', 'huge', $$'178000000 years'$$),
  ('boolean', 'true', 'true'), ('boolean', 'false', 'false'),
  ('jsonb', 'array', $$'[]'$$), ('jsonb', 'scalar', $$'"x"'$$), ('jsonb', 'deep', $$repeat('[', 5000)::text || repeat(']', 5000)$$),
  ('text[]', 'empty', $${}$$), ('text[]', 'null element', $$ARRAY[NULL]::text[]$$), ('text[]', '1 MB element', $$ARRAY[repeat('y', 1048576)]$$),
  ('inet', 'v6', $$'::1'$$);
UPDATE rel_adv_values SET lit = $$'{}'$$ WHERE typ = 'text[]' AND label = 'empty';
INSERT INTO rel_adv_values SELECT DISTINCT typ, 'null', 'NULL' FROM rel_adv_values;
GRANT SELECT ON rel_adv_values TO PUBLIC;

CREATE FUNCTION pg_temp.try(target text, what text, label text, sql text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  BEGIN
    EXECUTE sql;
    RAISE EXCEPTION USING ERRCODE = 'RLOK1';
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO rel_adv_results VALUES (target, what, label,
      CASE WHEN SQLSTATE = 'RLOK1' THEN 'ok' ELSE SQLSTATE END,
      CASE WHEN SQLSTATE = 'RLOK1' THEN NULL ELSE left(SQLERRM, 200) END);
  END;
END $f$;

SELECT set_config('crm.account_id', :'acc', false), set_config('crm.employee_id', :'emp', false);
SET ROLE crm_test_admin;

-- Functions: each argument in turn gets each hostile value of its type, the others a plain one.
DO $do$
DECLARE
  f record; i int; v record; args text[]; plain text;
BEGIN
  FOR f IN
    SELECT p.oid, p.oid::regprocedure::text AS sig, p.proname, (SELECT array_agg(format_type(u.t, NULL) ORDER BY u.o) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)) AS types
    FROM pg_proc p
    WHERE p.pronamespace = 'crm'::regnamespace AND p.proname !~ '^_' AND p.prorettype <> 'trigger'::regtype
      AND p.prokind = 'f' AND has_function_privilege(p.oid, 'EXECUTE')
    ORDER BY 2
  LOOP
    FOR i IN 1 .. coalesce(array_length(f.types, 1), 0) LOOP
      FOR v IN SELECT * FROM rel_adv_values WHERE typ = f.types[i]
                 OR (label = 'null' AND typ = 'text' AND f.types[i] NOT IN (SELECT typ FROM rel_adv_values)) LOOP
        args := ARRAY[]::text[];
        FOR j IN 1 .. array_length(f.types, 1) LOOP
          plain := CASE f.types[j] WHEN 'text' THEN $$'x'$$ WHEN 'bigint' THEN '1' WHEN 'integer' THEN '1'
                     WHEN 'numeric' THEN '1' WHEN 'boolean' THEN 'true' WHEN 'timestamp with time zone' THEN 'now()'
                     WHEN 'interval' THEN $$'1 hour'$$ ELSE 'NULL' END;
          args := args || ('(' || CASE WHEN j = i THEN v.lit ELSE plain END || ')::' || f.types[j]);
        END LOOP;
        PERFORM pg_temp.try(f.sig, 'arg ' || i, v.label,
                            format('SELECT * FROM crm.%I(%s)', f.proname, array_to_string(args, ', ')));
      END LOOP;
    END LOOP;
  END LOOP;
END $do$;

-- Tables: each writable column of a copy of one of the account's rows (INSERT) and of
-- that row itself (UPDATE) gets each hostile value of its type.
DO $do$
DECLARE
  t record; c record; v record; base jsonb; cols text; pk text;
BEGIN
  FOR t IN SELECT oid::regclass AS rel FROM pg_class
           WHERE relnamespace = 'crm'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname LOOP
    BEGIN
      EXECUTE format('SELECT to_jsonb(x) FROM %s x LIMIT 1', t.rel) INTO base;
    EXCEPTION WHEN insufficient_privilege THEN
      INSERT INTO rel_adv_results VALUES (t.rel::text, 'select', '-', SQLSTATE, SQLERRM);
      CONTINUE;
    END;
    CONTINUE WHEN base IS NULL;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
      WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = '';
    SELECT string_agg(format('%I = (SELECT %I FROM jsonb_populate_record(NULL::%s, %L))', a.attname, a.attname, t.rel, base), ' AND ')
      INTO pk FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = t.rel AND i.indisprimary;
    FOR c IN SELECT attname, format_type(atttypid, NULL) AS typ FROM pg_attribute
             WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = ''
               AND attname <> 'account_id' ORDER BY attnum LOOP
      FOR v IN SELECT * FROM rel_adv_values WHERE typ = c.typ OR (label = 'null' AND typ = 'text') LOOP
        PERFORM pg_temp.try(t.rel::text, 'insert ' || c.attname, v.label,
          format('INSERT INTO %s (%s) SELECT %3$s FROM jsonb_populate_record(NULL::%1$s, %4$L) y', t.rel, cols,
                 (SELECT string_agg(CASE WHEN a.attname = c.attname THEN '(' || v.lit || ')::' || c.typ ELSE 'y.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = t.rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity = ''),
                 base));
        PERFORM pg_temp.try(t.rel::text, 'update ' || c.attname, v.label,
          format('UPDATE %s SET %I = (%s)::%s WHERE %s', t.rel, c.attname, v.lit, c.typ, coalesce(pk, 'true')));
      END LOOP;
    END LOOP;
  END LOOP;
END $do$;
RESET ROLE;
