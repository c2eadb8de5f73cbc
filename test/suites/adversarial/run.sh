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
[ "${CRM_KEEP_CLUSTER:-0}" = 1 ] || rel_psql -d postgres -c "DROP DATABASE $DB"
