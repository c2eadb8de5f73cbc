# test/suites/citus/pgtap_steps.awk: cuts a pgTAP file (one transaction) into a
# transaction per step for the Citus coordinator, which refuses a second user the shards
# a first one modified in the same transaction (25001).  A step begins at each role
# switch written at the start of a line: SELECT crm_test.act(...), RESET ROLE,
# SET LOCAL ROLE.  Before it: the settings a transaction-local SET would have kept
# (crm.account_id, crm.employee_id, the time zone, ...) are read into a psql variable,
# the transaction is committed, a new one begun, and the settings put back (DO, which
# prints nothing), so that the step sees what it saw in the one transaction.  pgTAP's
# state (temp tables) survives the COMMIT; the file's last ROLLBACK leaves the
# committed rows behind (every run makes accounts of its own).
#   awk -f pgtap_steps.awk FILE.sql > FILE-steps.sql
BEGIN {
  carried = "'crm.account_id', 'crm.employee_id', 'crm.outbox_max_attempts', 'crm.allow_drop_with_data', " \
            "'TimeZone', 'search_path', 'row_security', 'check_function_bodies', 'client_min_messages', " \
            "'session_replication_role'"
}
/^(SELECT crm_test\.act\(|RESET ROLE;|SET LOCAL ROLE )/ && began {
  print "SELECT 'DO ' || quote_literal('BEGIN ' || string_agg(format('PERFORM pg_catalog.set_config(%L, %L, true);', n, v), ' ') || ' END')" \
        " AS crm_step_settings FROM unnest(ARRAY[" carried "]) AS n, pg_catalog.current_setting(n, true) AS v WHERE v IS NOT NULL \\gset"
  print "COMMIT;"
  print "BEGIN;"
  print ":crm_step_settings;"
}
/^BEGIN;/ { began = 1 }
{ print }
