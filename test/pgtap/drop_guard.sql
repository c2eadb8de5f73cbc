-- DROP EXTENSION keeps the data: a crm without rows drops freely; with rows, DROP EXTENSION
-- crm (with or without CASCADE, IF EXISTS, in a list), DROP SCHEMA crm CASCADE and DROP
-- OWNED BY its owner are refused with 2BP01, also with session_replication_role = replica;
-- only a superuser may set crm.allow_drop_with_data, and with it the drop goes through.
-- A drop that goes through is undone by the error raised right after it, inside the
-- assertion, so the rest of the file keeps its crm.
BEGIN;
SELECT plan(22);
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.drop_then_undo(setting text, command text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF setting IS NOT NULL THEN PERFORM set_config('crm.allow_drop_with_data', setting, true); END IF;
  EXECUTE command;
  IF EXISTS (SELECT FROM pg_extension WHERE extname = 'crm') THEN
    RAISE EXCEPTION 'crm is still there' USING ERRCODE = 'P0002';
  END IF;
  RAISE EXCEPTION 'dropped' USING ERRCODE = 'P0001';
END $$;

SELECT is((SELECT format('%s %s %s', evtevent, evtenabled, evttags) FROM pg_event_trigger WHERE evtname = 'crm_keep_data'),
          'ddl_command_start A {"DROP EXTENSION","DROP SCHEMA","DROP OWNED"}',
          'the event trigger fires before DROP EXTENSION, DROP SCHEMA and DROP OWNED, always');

-- ---- an empty crm ----
SELECT is((SELECT count(*) FROM crm.accounts), 0::bigint, 'the file starts with an empty crm');
SELECT throws_ok($$SELECT pg_temp.drop_then_undo(NULL, 'DROP EXTENSION crm')$$, 'P0001', 'dropped',
                 'a crm holding no row drops freely');
SELECT throws_ok($$SELECT pg_temp.drop_then_undo(NULL, 'DROP SCHEMA crm CASCADE')$$, 'P0001', 'dropped',
                 'a crm holding no row drops freely with its schema');

-- ---- a crm with rows ----
SELECT crm_test.company('Drop guard') AS a \gset
SELECT is(current_setting('crm.allow_drop_with_data'), 'off', 'crm.allow_drop_with_data is off by default');
SELECT throws_ok('DROP EXTENSION crm', '2BP01', NULL, 'DROP EXTENSION crm is refused while crm holds rows');
SELECT throws_like('DROP EXTENSION crm', 'cannot drop extension "crm" because its tables hold % rows',
                   '... saying how many rows it would delete');
SELECT throws_ok('DROP EXTENSION crm CASCADE', '2BP01', NULL, 'DROP EXTENSION crm CASCADE is refused');
SELECT throws_ok('DROP EXTENSION IF EXISTS crm', '2BP01', NULL, 'DROP EXTENSION IF EXISTS crm is refused');
SELECT throws_ok('DROP EXTENSION IF EXISTS crm_no_such_extension, crm RESTRICT', '2BP01', NULL,
                 'crm named in a list is refused');
SELECT throws_like('DROP SCHEMA crm CASCADE', 'cannot drop extension "crm" because its tables hold % rows',
                   'DROP SCHEMA crm CASCADE is refused');
SELECT throws_like('DROP OWNED BY ' || quote_ident(current_user),
                   'cannot drop extension "crm" because its tables hold % rows',
                   'DROP OWNED BY the owner of crm is refused');
SET LOCAL session_replication_role = replica;
SELECT throws_ok('DROP EXTENSION crm', '2BP01', NULL, 'refused with session_replication_role = replica too');
RESET session_replication_role;

CREATE SCHEMA drop_guard_other;
CREATE TABLE drop_guard_other.t (x int);
SELECT lives_ok('DROP SCHEMA drop_guard_other CASCADE', 'another schema drops as usual');
SELECT lives_ok('ALTER EXTENSION crm UPDATE', 'ALTER EXTENSION crm UPDATE is not a drop');

-- ---- crm.allow_drop_with_data ----
SELECT crm_test.act('crm_test_admin', :a, 'Anna');
SELECT throws_ok('SET crm.allow_drop_with_data = on', '42501', NULL,
                 'a crm role cannot set crm.allow_drop_with_data');
SELECT throws_ok($$SELECT set_config('crm.allow_drop_with_data', 'on', true)$$, '42501', NULL,
                 '... neither through set_config');
RESET ROLE;
SELECT throws_ok($$SELECT pg_temp.drop_then_undo('on', 'DROP EXTENSION crm')$$, 'P0001', 'dropped',
                 'with crm.allow_drop_with_data on, a superuser drops crm with its rows');
SELECT throws_ok($$SELECT pg_temp.drop_then_undo('on', 'DROP EXTENSION crm CASCADE')$$, 'P0001', 'dropped',
                 '... with CASCADE');
SELECT throws_ok($$SELECT pg_temp.drop_then_undo('on', 'DROP SCHEMA crm CASCADE')$$, 'P0001', 'dropped',
                 '... or with its schema');
SELECT is((SELECT count(*) FROM crm.accounts WHERE id = :a), 1::bigint, 'the rows are all still here');
SELECT is(current_setting('crm.allow_drop_with_data'), 'off', 'and the setting is off again');

SELECT * FROM finish();
ROLLBACK;
