#!/usr/bin/env bash
# test/suites/citus/pgtap.sh: crm's pgTAP files (test/pgtap/*.sql) through the Citus
# coordinator, the same files as on one server, each cut into a transaction per step
# (pgtap_steps.awk): Citus refuses a second user the shards a first one modified in the
# transaction (25001), and every file writes its accounts as the owner, then acts as a
# crm role (crm_test.act, SET LOCAL ROLE, RESET ROLE).  So before each role switch the
# step is committed and a new transaction begun with the transaction-local settings put
# back; pgTAP's state (temp tables) survives the COMMITs and the file's final ROLLBACK
# leaves its committed rows behind (each run makes accounts of its own).  A file that
# needs a step undone, or one now() across steps, holds on both only when written so.
#
# pgTAP is installed on the coordinator only: an assertion whose query Citus would send
# whole to one worker (a router query) then fails there, named, instead of running
# pgTAP on a worker without its state.
#
# The files named in pgtap.list must pass twice: once with the accounts they make on
# the first worker, once on the second (the accounts' id sequence is moved to the next
# id whose shard lives there).  With CITUS_PGTAP_ALL=1 every other file is run too,
# once, on the first worker, and its first failure reported (what pgtap.list says of
# it), so that the list can grow; a name listed with a leading "-" is never run (a
# file that cannot run on a shared cluster).  Each file has a 60 s statement_timeout.
#
# Sourced by run.sh once its cluster holds crm distributed and the fixtures
# (citus_pgtap_run), or run alone: it then starts a cluster of its own
# (test/suites/lib/citus.sh), distributes crm and loads the fixtures.
#
#   citus_pgtap_run     prints "ok - pgtap FILE on worker N" per listed file and run
#                       (and a line per other file with CITUS_PGTAP_ALL=1), and fails
#                       when a listed file fails.
CITUS_PGTAP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# citus_pgtap_prepare: pgTAP on the coordinator (not propagated), the test roles able
# to log in on every node (Citus connects to the workers as the session's role).
citus_pgtap_prepare() {
  local n r
  citus_psql 0 -c 'SET client_min_messages = warning' -c 'SET citus.enable_ddl_propagation = off' \
    -c 'CREATE EXTENSION IF NOT EXISTS pgtap' >/dev/null
  for n in 0 1 2; do
    for r in $(citus_val 0 -c "SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname LIKE 'crm\_test\_%'"); do
      citus_psql "$n" -c "ALTER ROLE $r LOGIN" >/dev/null 2>&1 || true
    done
  done
}

# citus_pgtap_place N: the next account made lands on worker N (1 or 2).
citus_pgtap_place() {
  local port next
  port="$(citus_port "$1")"
  next="$(citus_val 0 -c "WITH s AS (SELECT greatest((SELECT coalesce(max(id), 0) FROM crm.accounts),
              coalesce((SELECT last_value FROM pg_sequences WHERE schemaname = 'crm' AND sequencename = 'accounts_id_seq'), 0)) + 1 AS first)
            SELECT min(i) FROM s, generate_series(s.first, s.first + 64) AS g(i)
            WHERE (SELECT nodeport FROM pg_dist_shard_placement
                   WHERE shardid = get_shard_id_for_distribution_column('crm.accounts', i)) = $port")"
  [ -n "$next" ] || return 1
  citus_val 0 -c "SELECT setval(pg_get_serial_sequence('crm.accounts', 'id'), $next, false)" >/dev/null
}

# citus_pgtap_file FILE N: runs FILE through the coordinator, accounts on worker N;
# prints its first failure (or nothing) and returns non-zero when it fails.
citus_pgtap_file() {
  local out steps="$CITUS_DIR/pgtap/$(basename "$1")"
  citus_pgtap_place "$2" || { echo "no account id for worker $2"; return 1; }
  mkdir -p "$CITUS_DIR/pgtap"
  citus_pgtap_inline "$1" | awk -f "$CITUS_PGTAP_DIR/pgtap_steps.awk" > "$steps"
  # the files' own test triggers need unsafe triggers allowed; a function created after a
  # multi-shard statement needs the transaction's statements sequential
  if out="$(env $(citus_env 0) PGOPTIONS='-c citus.enable_unsafe_triggers=on -c citus.multi_shard_modify_mode=sequential -c citus.propagate_set_commands=local -c statement_timeout=60s' \
              pg_prove --verbose "$steps" 2>&1)"; then return 0; fi
  grep -m1 -E '^not ok|ERROR|^# +(Failed|Looks like)' <<<"$out" | citus_pgtap_line "$1" "$steps" | cut -c1-200
  return 1
}

# citus_pgtap_inline FILE: FILE with each "\ir NAME" line replaced by NAME's lines (NAME
# beside FILE, as psql finds it; test/pgtap/fill.psql), so that the steps are cut in
# them too (a line reported after one is counted in the inlined text).
citus_pgtap_inline() {
  local line dir
  dir="$(dirname "$1")"
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" =~ ^\\ir\ +([^[:space:]]+)$ ]]; then cat "$dir/${BASH_REMATCH[1]}"; else printf '%s\n' "$line"; fi
  done < "$1"
}

# citus_pgtap_line FILE STEPS: psql's "psql:STEPS:N:" made "FILE:M:", M the line of FILE
# (each cut adds four lines to STEPS, its last one ":crm_step_settings;").
citus_pgtap_line() {
  local line n
  IFS= read -r line || return 0
  if [[ "$line" =~ ^psql:[^:]*:([0-9]+):(.*)$ ]]; then
    n="${BASH_REMATCH[1]}"
    line="${1#"$REL_ROOT/"}:$((n - 4 * $(head -n "$n" "$2" | grep -c '^:crm_step_settings;$'))):${BASH_REMATCH[2]}"
  fi
  printf '%s\n' "$line"
}

citus_pgtap_run() {
  local list="$CITUS_PGTAP_DIR/pgtap.list" f name n why failed=0 listed names started=$SECONDS
  names="$(sed 's/#.*//; s/[[:space:]]//g' "$list")"
  citus_pgtap_prepare
  for f in "$REL_ROOT"/test/pgtap/*.sql; do
    name="$(basename "$f" .sql)"
    grep -qxF -- "-$name" <<<"$names" && continue
    listed=0; grep -qxF -- "$name" <<<"$names" && listed=1
    [ "$listed" = 1 ] || [ "${CITUS_PGTAP_ALL:-0}" = 1 ] || continue
    for n in 1 2; do
      [ "$listed" = 1 ] || [ "$n" = 1 ] || continue
      if why="$(citus_pgtap_file "$f" "$n")"; then
        echo "ok - pgtap $name on worker $n"
      elif [ "$listed" = 1 ]; then
        echo "not ok - pgtap $name on worker $n: $why"; failed=1
      else
        echo "# pgtap $name on worker $n (not listed): $why"
      fi
    done
  done
  rel_log "pgtap through the coordinator: $((SECONDS - started)) s"
  return $failed
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  REL_SUITE=citus-pgtap
  . "$CITUS_PGTAP_DIR/../lib/common.sh"
  . "$REL_LIB/citus.sh"
  citus_crm_alone
  citus_pgtap_run || rel_fail "a listed pgTAP file failed through the coordinator"
fi
