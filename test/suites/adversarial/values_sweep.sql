-- values_sweep.sql: every numeric, timestamptz, interval, date, integer and bigint column
-- of every crm table written with NaN, infinities, values just outside and just inside
-- crm's ranges, extremes and negatives (values.sql), by INSERT (with only the columns a
-- row needs, and as a copy of one of the account's rows) and by UPDATE of that row, as an
-- admin of account :acc and as the owner; then one row of every table inserted in an
-- account that does not exist.  Each statement runs in its own subtransaction and is
-- rolled back; its outcome ('ok', 'stored' when it left a value crm never holds in the
-- column, or the SQLSTATE) goes to rel_values_results.  Run by run.sh beside it, which
-- judges the outcomes.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET statement_timeout = :'stmt_timeout';
SET timezone = 'UTC';
DROP TABLE IF EXISTS rel_values_results, rel_values_hostile, rel_values_exempt;
CREATE TABLE rel_values_results (who text, target text, what text, value_label text, outcome text, message text);
GRANT ALL ON rel_values_results TO PUBLIC;

CREATE TABLE rel_values_hostile (typ text, label text, lit text);
INSERT INTO rel_values_hostile VALUES
  ('numeric', 'NaN', $$'NaN'$$), ('numeric', 'Infinity', $$'Infinity'$$), ('numeric', '-Infinity', $$'-Infinity'$$),
  ('numeric', '-1', '-1'), ('numeric', '-0.01', '-0.01'), ('numeric', '0', '0'), ('numeric', '0.001', '0.001'),
  ('numeric', 'max', '999999999999.99'), ('numeric', '1e20', '1e20'),
  ('timestamp with time zone', '-infinity', $$'-infinity'$$), ('timestamp with time zone', 'infinity', $$'infinity'$$),
  ('timestamp with time zone', 'first PostgreSQL time', $$'4714-11-24 00:00:00+00 BC'$$),
  ('timestamp with time zone', 'last PostgreSQL time', $$'294276-12-31 23:59:59+00'$$),
  ('timestamp with time zone', 'just before 1900', $$'1899-12-31 23:59:59.999999+00'$$),
  ('timestamp with time zone', '1900-01-01', $$'1900-01-01 00:00:00+00'$$),
  ('timestamp with time zone', '9999-12-31 end', $$'9999-12-31 23:59:59.999999+00'$$),
  ('timestamp with time zone', '10000-01-01', $$'10000-01-01 00:00:00+00'$$),
  ('interval', '-1 hour', $$'-1 hour'$$), ('interval', '0', $$'0'$$), ('interval', '1 mon -29 days', $$'1 mon -29 days'$$),
  ('interval', '1 day -1 hour', $$'1 day -1 hour'$$), ('interval', '-1 mon 40 days', $$'-1 mon 40 days'$$),
  ('interval', '1 microsecond', $$'1 microsecond'$$), ('interval', '100 years', $$'100 years'$$),
  ('interval', '100 years 1 day', $$'100 years 1 day'$$), ('interval', '178000000 years', $$'178000000 years'$$),
  ('date', '-infinity', $$'-infinity'$$), ('date', 'infinity', $$'infinity'$$), ('date', '4713 BC', $$'4713-01-01 BC'$$),
  ('date', '1899-12-31', $$'1899-12-31'$$), ('date', '1900-01-01', $$'1900-01-01'$$), ('date', '9999-12-31', $$'9999-12-31'$$),
  ('date', '10000-01-01', $$'10000-01-01'$$),
  ('integer', '-1', '-1'), ('integer', '0', '0'), ('integer', 'max', '2147483647'), ('integer', 'min', '(-2147483647 - 1)'),
  ('bigint', '-1', '-1'), ('bigint', '0', '0'), ('bigint', 'max', '9223372036854775807'),
  ('bigint', 'min', '(-9223372036854775807 - 1)');
GRANT SELECT ON rel_values_hostile TO PUBLIC;

-- Columns whose values are not crm's business values (left to their concept, or crm's own
-- deltas); every other numeric, timestamptz, interval and date column must never hold a
-- value outside crm's ranges.
CREATE TABLE rel_values_exempt (tab text, col text, why text);
INSERT INTO rel_values_exempt VALUES
  ('messages', 'sent_at', 'chats.c'), ('conversations', 'last_message_at', 'copied from messages.sent_at'),
  ('client_contacts', 'first_out_at', 'copied from messages.sent_at'),
  ('client_contacts', 'last_out_at', 'copied from messages.sent_at'),
  ('lead_counts', 'revenue', 'crm''s own sums'), ('lead_count_changes', 'revenue', 'crm''s own deltas');
-- Staged rows of an import are input: crm.import_run checks each value and rejects the
-- row that holds a bad one (import/rows.c), so the staging tables take any value.
INSERT INTO rel_values_exempt
SELECT c.relname, a.attname, 'staged input, checked by crm.import_run'
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'crm'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'import_00_stage');
GRANT SELECT ON rel_values_exempt TO PUBLIC;

-- The values crm never holds in a column of a type (NULL: none).
CREATE FUNCTION pg_temp.bad_values(col text, typ text) RETURNS text LANGUAGE sql AS $f$
  SELECT CASE typ
    WHEN 'numeric' THEN format('(%1$I = ''NaN'' OR %1$I < 0)', col)
    WHEN 'timestamp with time zone' THEN
      format('NOT (%1$I >= ''1900-01-01 00:00:00+00'' AND %1$I < ''10000-01-01 00:00:00+00'')', col)
    WHEN 'date' THEN format('NOT (%1$I >= ''1900-01-01'' AND %1$I < ''10000-01-01'')', col)
    WHEN 'interval' THEN format('NOT pg_temp.forward(%I)', col)
  END
$f$;
-- crm's rule for a scheduling interval: no negative part, one positive part, at most 100 years.
CREATE FUNCTION pg_temp.forward(i interval) RETURNS boolean LANGUAGE sql IMMUTABLE AS $f$
  SELECT m >= 0 AND d >= 0 AND t >= 0 AND (m > 0 OR d > 0 OR t > 0) AND i <= interval '100 years'
  FROM (SELECT (extract(year FROM i) * 12 + extract(month FROM i))::int AS m, extract(day FROM i)::int AS d) f,
       LATERAL (SELECT extract(epoch FROM i - make_interval(months => f.m, days => f.d)) AS t) g
$f$;

CREATE FUNCTION pg_temp.try(who text, target text, what text, label text, sql text, probe text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE stored bigint := 0;
BEGIN
  BEGIN
    EXECUTE sql;
    IF probe IS NOT NULL THEN EXECUTE probe INTO stored; END IF;
    RAISE EXCEPTION USING ERRCODE = CASE WHEN stored > 0 THEN 'RLBAD' ELSE 'RLOK1' END;
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO rel_values_results VALUES (who, target, what, label,
      CASE SQLSTATE WHEN 'RLOK1' THEN 'ok' WHEN 'RLBAD' THEN 'stored' ELSE SQLSTATE END,
      CASE WHEN SQLSTATE IN ('RLOK1', 'RLBAD') THEN NULL ELSE left(SQLERRM, 200) END);
  END;
END $f$;

-- The sweep, as the current role: each column of the types above, each hostile value.
CREATE FUNCTION pg_temp.sweep(who text, acc bigint) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
  t record; c record; v record; base jsonb; cols text; lean text[]; pk text; key text; probe text; bad text;
BEGIN
  FOR t IN SELECT oid::regclass AS rel, relname::text AS name FROM pg_class
           WHERE relnamespace = 'crm'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname LOOP
    key := CASE t.name WHEN 'accounts' THEN 'id' ELSE 'account_id' END;
    BEGIN
      EXECUTE format('SELECT to_jsonb(x) FROM %s x WHERE %I = %s LIMIT 1', t.rel, key, acc) INTO base;
    EXCEPTION WHEN insufficient_privilege THEN
      INSERT INTO rel_values_results VALUES (who, t.rel::text, 'select', '-', SQLSTATE, SQLERRM);
      CONTINUE;
    END;
    CONTINUE WHEN base IS NULL;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
      WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = '';
    -- the columns a row cannot do without: NOT NULL and no default
    SELECT array_agg(attname::text ORDER BY attnum) INTO lean FROM pg_attribute
      WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attnotnull AND NOT atthasdef
        AND attgenerated = '' AND attidentity = '';
    SELECT string_agg(format('%I = (SELECT %I FROM jsonb_populate_record(NULL::%s, %L))', a.attname, a.attname, t.rel, base), ' AND ')
      INTO pk FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = t.rel AND i.indisprimary;
    FOR c IN SELECT attname::text AS attname, format_type(atttypid, NULL) AS typ FROM pg_attribute
             WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = ''
               AND attname NOT IN ('account_id', 'id')
               AND format_type(atttypid, NULL) IN (SELECT typ FROM rel_values_hostile) ORDER BY attnum LOOP
      bad := CASE WHEN EXISTS (SELECT 1 FROM rel_values_exempt e WHERE e.tab = t.name AND e.col = c.attname) THEN NULL
                  ELSE pg_temp.bad_values(c.attname, c.typ) END;
      probe := CASE WHEN bad IS NOT NULL THEN format('SELECT count(*) FROM %s WHERE %s', t.rel, bad) END;
      FOR v IN SELECT * FROM rel_values_hostile WHERE typ = c.typ LOOP
        PERFORM pg_temp.try(who, t.rel::text, 'insert ' || c.attname, v.label,
          format('INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, %L) y', t.rel,
                 (SELECT string_agg(quote_ident(n), ', ') FROM unnest(array_remove(coalesce(lean, '{}'), c.attname) || c.attname) n),
                 (SELECT string_agg(CASE WHEN n = c.attname THEN '(' || v.lit || ')::' || c.typ ELSE 'y.' || quote_ident(n) END, ', ')
                  FROM unnest(array_remove(coalesce(lean, '{}'), c.attname) || c.attname) n),
                 t.rel, base), probe);
        PERFORM pg_temp.try(who, t.rel::text, 'insert copy ' || c.attname, v.label,
          format('INSERT INTO %s (%s) SELECT %3$s FROM jsonb_populate_record(NULL::%1$s, %4$L) y', t.rel, cols,
                 (SELECT string_agg(CASE WHEN a.attname = c.attname THEN '(' || v.lit || ')::' || c.typ ELSE 'y.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = t.rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity = ''),
                 base), probe);
        PERFORM pg_temp.try(who, t.rel::text, 'update ' || c.attname, v.label,
          format('UPDATE %s SET %I = (%s)::%s WHERE %s', t.rel, c.attname, v.lit, c.typ, coalesce(pk, 'true')), probe);
      END LOOP;
    END LOOP;
    -- a row with only the columns it needs, in an account that does not exist (the
    -- account_id default takes the session's)
    IF t.name <> 'accounts' THEN
      PERFORM set_config('crm.account_id', '987654321', true);
      PERFORM pg_temp.try(who, t.rel::text, 'insert in a missing account', '-',
        CASE WHEN coalesce(cardinality(array_remove(lean, 'account_id')), 0) = 0
             THEN format('INSERT INTO %s DEFAULT VALUES', t.rel)
             ELSE format('INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, %L) y', t.rel,
                         (SELECT string_agg(quote_ident(n), ', ') FROM unnest(array_remove(lean, 'account_id')) n),
                         (SELECT string_agg('y.' || quote_ident(n), ', ') FROM unnest(array_remove(lean, 'account_id')) n),
                         t.rel, base) END, NULL);
      PERFORM set_config('crm.account_id', acc::text, true);
    END IF;
  END LOOP;
END $f$;

SELECT set_config('crm.account_id', :'acc', false), set_config('crm.employee_id', :'emp', false);
SET ROLE crm_test_admin;
SELECT pg_temp.sweep('admin', :acc);
RESET ROLE;
SELECT pg_temp.sweep('owner', :acc);
