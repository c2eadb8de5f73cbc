#!/usr/bin/env bash
# adversarial: every public crm function called and every crm table written (INSERT and
# UPDATE of each column) with NULLs, empty and 1 MB strings, huge and negative numbers,
# far-past/far-future/infinite times, Cyrillic and emoji, SQL- and template-looking
# strings, as an admin of one account; then every text, text[] and jsonb column with
# incompressible values of 0 B, 16 kB, 200 kB and 2 MB (large_values.sql).
# Each statement must work or raise a SQLSTATE on the allow-list below; an internal
# error (XX...) or a crash fails the suite.
REL_SUITE=adversarial
. "$(dirname "$0")/../lib/common.sh"
DB=rel_adversarial
# crm's documented SQLSTATEs, and PostgreSQL's own for values a column or type refuses.
ALLOWED="42501 55000 23503 22023 428C9 P0002 23502 23505 23514 22001 22003 22008 22007 22P02 22P05 54000 22021 22004 22015 22009 2201E 22012 2202E 54001"

rel_new_db $DB
rel_fill $DB 2
read -r acc emp < <(rel_val -F ' ' -d $DB -c "SELECT a.id, e.id FROM crm.accounts a JOIN crm.employees e ON e.account_id = a.id AND e.name = 'Admin' WHERE a.name = 'Reliability A'")
log="$CRM_TMP/server.log"; before=$(wc -l < "$log")
rel_psql -d $DB -v acc="$acc" -v emp="$emp" -v stmt_timeout="${ADV_STATEMENT_TIMEOUT:-60s}" \
  -f "${ADV_SQL:-$REL_SUITE_DIR/adversarial.sql}" \
  -f "${ADV_LARGE_SQL:-$REL_SUITE_DIR/large_values.sql}" >/dev/null ||
  rel_fail "the adversarial run stopped (server crash or harness error)"
if tail -n +"$((before + 1))" "$log" | rel_crashed; then rel_fail "the server crashed under adversarial input"; fi

allowed_sql="$(printf "'%s'," $ALLOWED)"; allowed_sql="ARRAY[${allowed_sql%,}]"
rel_val -d $DB -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE outcome = 'ok'), count(DISTINCT target) FROM rel_adv_results" |
  { read -r n ok targets; rel_log "$n statements on $targets functions and tables: $ok worked"; }
rel_val -d $DB -c "SELECT '    ' || outcome || ': ' || count(*) FROM rel_adv_results WHERE outcome <> 'ok' GROUP BY outcome ORDER BY count(*) DESC" >&2
bad="$(rel_val -d $DB -c "SELECT target || ' ' || what || ' [' || value_label || ']: ' || outcome || ' ' || coalesce(message, '')
                          FROM rel_adv_results WHERE outcome <> 'ok' AND outcome <> ALL ($allowed_sql) ORDER BY 1")"
if [ -n "$bad" ]; then printf '%s\n' "$bad" | head -30 >&2; rel_fail "$(printf '%s\n' "$bad" | wc -l) outcomes outside the allow-list"; fi
rel_invariants $DB || rel_fail "invariants broken by adversarial input"
rel_log "every outcome is ok or an allowed SQLSTATE; invariants hold"

# The value sweep (values_sweep.sql): no statement may leave a value crm never holds
# ('stored'), every outcome is ok or on the allow-list, and the sweep reached every
# column a value trigger of value_checks.sql names (and of every *_valid CHECK of the
# import's staging tables): the check (or the trigger before it) refused a hostile value, or, for a column crm fills itself, no writer's value got through (428C9, too
# large for the column, or replaced by crm's own).
rel_psql -d $DB -v acc="$acc" -v emp="$emp" -v stmt_timeout="${ADV_STATEMENT_TIMEOUT:-60s}" \
  -f "${ADV_VALUES_SQL:-$REL_SUITE_DIR/values_sweep.sql}" >/dev/null ||
  rel_fail "the value sweep stopped (server crash or harness error)"
if tail -n +"$((before + 1))" "$log" | rel_crashed; then rel_fail "the server crashed in the value sweep"; fi
rel_val -d $DB -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE outcome = 'ok'), count(DISTINCT target || what) FROM rel_values_results" |
  { read -r n ok cols; rel_log "value sweep: $n statements on $cols table columns: $ok worked"; }
rel_val -d $DB -c "SELECT '    ' || outcome || ': ' || count(*) FROM rel_values_results WHERE outcome <> 'ok' GROUP BY outcome ORDER BY count(*) DESC" >&2
bad="$(rel_val -d $DB -c "SELECT who || ' ' || target || ' ' || what || ' [' || value_label || ']: ' || outcome || ' ' || coalesce(message, '')
                          FROM rel_values_results WHERE outcome <> 'ok' AND (outcome = 'stored' OR outcome <> ALL ($allowed_sql)) ORDER BY 1")"
if [ -n "$bad" ]; then printf '%s\n' "$bad" | head -30 >&2; rel_fail "$(printf '%s\n' "$bad" | wc -l) value-sweep outcomes stored a bad value or are outside the allow-list"; fi
unreached="$(rel_val -d $DB -c "
  WITH checked (rel, col, what) AS (
    SELECT c.conrelid, a.attname::text, c.conname::text
    FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.connamespace = 'crm'::regnamespace AND c.contype = 'c' AND c.conname LIKE '%\_valid'
    UNION ALL
    SELECT t.tgrelid, split_part(arg, ':', 1), t.tgname || '.' || split_part(arg, ':', 1)
    FROM pg_trigger t JOIN pg_class k ON k.oid = t.tgrelid,
         unnest(string_to_array(encode(t.tgargs, 'escape'), '\\000')) arg
    WHERE k.relnamespace = 'crm'::regnamespace AND t.tgname LIKE '%\_values' AND arg <> '')
  SELECT ch.what FROM checked ch
  WHERE NOT EXISTS (SELECT 1 FROM rel_values_results r
                    WHERE r.target = ch.rel::regclass::text AND r.outcome IN ('22008', '22023')
                      AND r.what IN ('insert ' || ch.col, 'insert copy ' || ch.col, 'update ' || ch.col))
    AND NOT (EXISTS (SELECT 1 FROM rel_values_results r
                     WHERE r.target = ch.rel::regclass::text AND r.what = 'update ' || ch.col)
             AND NOT EXISTS (SELECT 1 FROM rel_values_results r
                             WHERE r.target = ch.rel::regclass::text AND r.what = 'update ' || ch.col
                               AND r.outcome NOT IN ('ok', '428C9', '42501', '55000', '22003')))
  ORDER BY 1")"
if [ -n "$unreached" ]; then printf '    %s\n' $unreached >&2; rel_fail "value checks the sweep never saw refuse a value"; fi
rel_log "value sweep: no bad value stored, every outcome allowed, every value check reached"
[ "${CRM_KEEP_CLUSTER:-0}" = 1 ] || rel_psql -d postgres -c "DROP DATABASE $DB"
