# test/suites/citus/pgtap_steps.awk: cuts a pgTAP file (one transaction) into a
# transaction per step for the Citus coordinator, which refuses a second user the shards
# a first one modified in the same transaction (25001).  A step begins at each role
# switch written at the start of a line: SELECT crm_test.act(...), RESET ROLE,
# SET LOCAL ROLE, SET ROLE (a session-level switch, which Citus does not pass on to the
# workers: as a login of that role).  Before it: the settings a transaction-local SET would have kept
# (crm.account_id, crm.employee_id, the time zone, ...) are read into a psql variable,
# the transaction is committed, a new one begun, and the settings put back (DO, which
# prints nothing; the account and the employee by SET LOCAL, which Citus passes on to
# the workers), so that the step sees what it saw in the one transaction.  pgTAP's
# state (temp tables) survives the COMMIT; the file's last ROLLBACK leaves the
# committed rows behind (every run makes accounts of its own).
#   awk -f pgtap_steps.awk FILE.sql > FILE-steps.sql
#
# And an assertion (SELECT is(...); and the other pgTAP functions, a statement of its
# own) gets "FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog'" (one row, a
# table of the coordinator): a statement whose crm tables all name one account is sent
# whole to that account's worker (a router query), where pgTAP has no state; with a
# table of the coordinator in it, Citus runs its subqueries on the worker and the
# assertion on the coordinator.
BEGIN {
  carried = "'crm.account_id', 'crm.employee_id', 'crm.outbox_max_attempts', 'crm.allow_drop_with_data', " \
            "'TimeZone', 'search_path', 'row_security', 'check_function_bodies', 'client_min_messages', " \
            "'session_replication_role'"
  assertions = " is isnt ok results_eq results_ne set_eq bag_eq throws_ok throws_like lives_ok is_empty isnt_empty" \
               " cmp_ok matches imatches alike unalike row_eq pass fail "
}
/^(SELECT crm_test\.act\(|RESET ROLE;|SET LOCAL ROLE |SET ROLE )/ && began && !stmt {
  # the account and the employee by SET LOCAL, which Citus passes on to the workers (set_config
  # it does not); the others on the coordinator
  # as the session's own user (a session-level SET ROLE outlives the COMMIT; the line after
  # the cut switches the role anyway)
  print "SELECT 'DO ' || quote_literal('BEGIN PERFORM pg_catalog.set_config(''role'', ''none'', false); ' || string_agg(CASE WHEN n IN ('crm.account_id', 'crm.employee_id') THEN format('EXECUTE %L;', format('SET LOCAL %s = %L', n, v))" \
        " ELSE format('PERFORM pg_catalog.set_config(%L, %L, true);', n, v) END, ' ') || ' END') AS crm_step_settings" \
        " FROM unnest(ARRAY[" carried "]) AS n, pg_catalog.current_setting(n, true) AS v WHERE v IS NOT NULL \\gset"
  print "COMMIT;"
  print "BEGIN;"
  print ":crm_step_settings;"
}
/^BEGIN;/ { began = 1 }
!stmt && match($0, /^SELECT [a-z_]+\(/) && index(assertions, " " substr($0, 8, RLENGTH - 8) " ") {
  stmt = 1; depth = 0; quote = ""; after = 0; buf = ""; from = 8
}
stmt { scan($0, from); from = 1; next }
{ print }

# scan(LINE, FROM): follows the assertion's statement from column FROM of LINE (quotes,
# dollar quotes, comments, parentheses; after: 0 in the call, 1 the call closed and only
# blanks since, 2 more text after it); at its ";" prints it, with the coordinator's
# table when nothing follows the call.
function scan(line, from,    i, c) {
  for (i = from; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (quote == "'") { if (c == "'") quote = ""; continue }
    if (quote != "") {
      if (substr(line, i, length(quote)) == quote) { i += length(quote) - 1; quote = "" }
      continue
    }
    if (c == "'") quote = "'"
    else if (c == "$" && match(substr(line, i), /^\$[A-Za-z_]*\$/)) { quote = substr(line, i, RLENGTH); i += RLENGTH - 1 }
    else if (substr(line, i, 2) == "--") break
    else if (c == "(") depth++
    else if (c == ")") { if (--depth == 0 && after == 0) { after = 1; continue } }
    else if (c == "\\" && depth == 0) { print buf line; stmt = 0; return }  # ends at \gset: as it is
    else if (c == ";" && depth == 0) {
      if (after == 1) line = substr(line, 1, i - 1) " FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog'" substr(line, i)
      print buf line
      stmt = 0
      return
    }
    if (after == 1 && c !~ /[ \t]/) after = 2
  }
  buf = buf line "\n"
}
