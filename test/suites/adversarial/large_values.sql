-- large_values.sql: writes every text, text[] and jsonb column of every crm table with
-- values of 0 B, 16 kB, 200 kB and 2 MB (incompressible, so they are stored out of line
-- at full size), by INSERT of a copy of one of the account's rows and by UPDATE of that
-- row, one column at a time and every such column at once, as an admin of account :acc.
-- Outcomes go to rel_adv_results like adversarial.sql's (which creates the tables and
-- pg_temp.try); run by run.sh beside it, after adversarial.sql.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TEMP TABLE rel_large_sizes (label text, bytes int);
INSERT INTO rel_large_sizes VALUES ('0 B', 0), ('16 kB', 16384), ('200 kB', 204800), ('2 MB', 2097152);

-- An incompressible text of n bytes (hex digits of chained md5s).
CREATE FUNCTION pg_temp.noise(n int) RETURNS text LANGUAGE sql AS $$
  SELECT left(coalesce(string_agg(md5(g::text || 'crm'), '' ORDER BY g), ''), n)
  FROM generate_series(1, (n + 31) / 32) g
$$;
CREATE TEMP TABLE rel_large_values AS
  SELECT label, pg_temp.noise(bytes) AS v FROM rel_large_sizes;

-- The value of a column of type typ built from the text in rel_large_values (label).
CREATE FUNCTION pg_temp.large_lit(typ text, label text) RETURNS text LANGUAGE sql AS $$
  SELECT CASE typ
    WHEN 'text' THEN format('(SELECT v FROM rel_large_values WHERE label = %L)', label)
    WHEN 'text[]' THEN format('(SELECT ARRAY[v, v] FROM rel_large_values WHERE label = %L)', label)
    WHEN 'jsonb' THEN format('(SELECT jsonb_build_object(''k'', v) FROM rel_large_values WHERE label = %L)', label)
  END
$$;

SELECT set_config('crm.account_id', :'acc', false), set_config('crm.employee_id', :'emp', false);
GRANT SELECT ON rel_large_values, rel_large_sizes TO crm_test_admin;
SET ROLE crm_test_admin;

DO $do$
DECLARE
  t record; s record; base jsonb; cols text; pk text; large text[]; sel text; sets text;
BEGIN
  FOR t IN SELECT oid::regclass AS rel FROM pg_class
           WHERE relnamespace = 'crm'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname LOOP
    BEGIN
      EXECUTE format('SELECT to_jsonb(x) FROM %s x LIMIT 1', t.rel) INTO base;
    EXCEPTION WHEN insufficient_privilege THEN
      CONTINUE;
    END;
    CONTINUE WHEN base IS NULL;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
      WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = '';
    SELECT string_agg(format('%I = (SELECT %I FROM jsonb_populate_record(NULL::%s, %L))', a.attname, a.attname, t.rel, base), ' AND ')
      INTO pk FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = t.rel AND i.indisprimary;
    SELECT array_agg(attname::text ORDER BY attnum) INTO large FROM pg_attribute
      WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
        AND format_type(atttypid, NULL) IN ('text', 'text[]', 'jsonb');
    CONTINUE WHEN large IS NULL;
    FOR s IN SELECT label FROM rel_large_sizes ORDER BY bytes LOOP
      -- each large column alone, then all of them at once (NULL = all)
      FOR i IN 1 .. array_length(large, 1) + 1 LOOP
        SELECT string_agg(CASE WHEN a.attname::text = large[i] OR (i > array_length(large, 1) AND a.attname::text = ANY (large))
                               THEN pg_temp.large_lit(format_type(a.atttypid, NULL), s.label) || '::' || format_type(a.atttypid, NULL)
                               ELSE 'y.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum),
               string_agg(format('%I = %s::%s', a.attname, pg_temp.large_lit(format_type(a.atttypid, NULL), s.label), format_type(a.atttypid, NULL)), ', ')
                 FILTER (WHERE a.attname::text = large[i] OR (i > array_length(large, 1) AND a.attname::text = ANY (large)))
          INTO sel, sets
          FROM pg_attribute a WHERE a.attrelid = t.rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity = '';
        PERFORM pg_temp.try(t.rel::text, 'large insert ' || coalesce(large[i], 'all'), s.label,
          format('INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%1$s, %L) y', t.rel, cols, sel, base));
        PERFORM pg_temp.try(t.rel::text, 'large update ' || coalesce(large[i], 'all'), s.label,
          format('UPDATE %s SET %s WHERE %s', t.rel, sets, coalesce(pk, 'true')));
      END LOOP;
    END LOOP;
  END LOOP;
END $do$;
RESET ROLE;
