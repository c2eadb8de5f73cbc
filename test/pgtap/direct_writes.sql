-- crm's own rows written without a statement (kit/direct_insert.c, kit/direct_update.c):
-- (a call's invoice event too, its foreign key proven by the call's own check; a foreign
-- key added to crm.invoice_events is not proven, so the event goes through SPI and is checked)
-- a lead's history row, its count change, its event and the numbering counter are what
-- the INSERTs and UPDATEs wrote (ids from the table's identity, now() where the column
-- defaults to it); a table that gains an INSERT trigger crm does not apply itself is
-- written through SPI again, so the trigger fires; a CHECK constraint added to a table
-- crm writes directly is checked; the counter row is changed in place.
BEGIN;
SELECT plan(13);

SELECT crm_test.company('Direct Writes Co') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

INSERT INTO crm.leads (contact_name) VALUES ('Direct') RETURNING id AS lead, number_sequence_id AS seq \gset
SELECT results_eq(
    format($$SELECT e.employee_id, e.kind, e.to_status_id, e.detail, e.at FROM crm.lead_events e
              WHERE e.account_id = %s AND e.lead_id = %s$$, :a, :lead),
    format($$SELECT %s::bigint, 'created'::text, l.status_id, jsonb_build_object('number', l.number), now()
              FROM crm.leads l WHERE l.id = %s$$, :anna, :lead),
    'the created event: by the employee, the starting status, {"number": ...}, at the transaction time');
RESET ROLE;
-- The identity's value where the event was written: this session's on one server; on
-- Citus the worker holding the account's shard gave it (its own sequence, its own range),
-- in the coordinator's connection there, so its last value is read on that worker.
CREATE FUNCTION pg_temp.identity_given(account bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
    EXECUTE $q$SELECT result::bigint FROM run_command_on_placements('crm.lead_events',
                 'SELECT pg_sequence_last_value(''crm.lead_events_id_seq'')')
               WHERE shardid = get_shard_id_for_distribution_column('crm.lead_events', $1)$q$ INTO v USING account;
    RETURN v;
  END IF;
  RETURN currval(pg_get_serial_sequence('crm.lead_events', 'id'));
END $$;
SELECT is((SELECT max(id) FROM crm.lead_events WHERE account_id = :a), pg_temp.identity_given(:a),
          'its id is the identity''s next value');
SELECT is((SELECT last_used_at FROM crm.number_sequences WHERE account_id = :a AND id = :seq), now(),
          'the numbering counter row is touched at the transaction time');
SELECT is((SELECT count(*) FROM crm.number_sequences WHERE account_id = :a AND id = :seq
             AND age(xmin) = 0), 1::bigint,
          'one version of the counter row is this transaction''s');
SELECT results_eq(
    format($$SELECT leads, revenue::text FROM crm.lead_count_changes WHERE account_id = %s$$, :a),
    $$VALUES (1::bigint, '0.00'::text)$$,
    'the count change, its revenue brought to numeric(16, 2) as the INSERT brought it');

-- A trigger crm does not apply itself: the history goes through SPI, and the trigger fires.
CREATE TABLE pg_temp.seen (lead_id bigint);
CREATE FUNCTION pg_temp.see() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO pg_temp.seen VALUES (NEW.lead_id); RETURN NEW; END $$;
CREATE TRIGGER zz_test_seen AFTER INSERT ON crm.lead_events FOR EACH ROW EXECUTE FUNCTION pg_temp.see();
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('Watched') RETURNING id AS watched \gset
RESET ROLE;
SELECT results_eq('SELECT lead_id FROM pg_temp.seen', format('VALUES (%s::bigint)', :watched),
                  'a trigger added to crm.lead_events fires for crm''s own history row');
DROP TRIGGER zz_test_seen ON crm.lead_events;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name) VALUES ('Unwatched') RETURNING id AS unwatched \gset
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_temp.seen), 1::bigint, 'and no more once it is dropped');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id = :unwatched), 1::bigint,
          'the history is written directly again');

-- A CHECK constraint on a table crm writes directly is checked.
ALTER TABLE crm.lead_count_changes ADD CONSTRAINT zz_test_no_new_leads CHECK (leads <= 0) NOT VALID;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('Refused')$$, '23514', NULL,
                 'a CHECK constraint added to crm.lead_count_changes refuses crm''s own count change');
RESET ROLE;
ALTER TABLE crm.lead_count_changes DROP CONSTRAINT zz_test_no_new_leads;

-- A call's event in its invoice's history: written directly, as the INSERT wrote it.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.clients (name, email, category) VALUES ('Ivan', 'ivan@example.com', 'client') RETURNING id AS c \gset
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100) RETURNING id AS i \gset
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 10:05:00+00')).id AS k \gset
RESET ROLE;
SELECT results_eq(
    format($$SELECT employee_id, at, detail->>'call_id', from_status, to_status FROM crm.invoice_events
              WHERE account_id = %s AND invoice_id = %s AND kind = 'call'$$, :a, :i),
    format($$VALUES (%s::bigint, '2026-03-02 10:05:00+00'::timestamptz, '%s'::text, NULL::text, NULL::text)$$, :anna, :k),
    'a call''s invoice event: by the employee, at the call''s time, naming the call');
-- A foreign key crm does not prove: the event goes through SPI and the key is checked.
CREATE TABLE public.zz_test_allowed (account_id bigint, invoice_id bigint, PRIMARY KEY (account_id, invoice_id));
ALTER TABLE crm.invoice_events ADD CONSTRAINT zz_test_allowed_fkey FOREIGN KEY (account_id, invoice_id)
    REFERENCES public.zz_test_allowed NOT VALID;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok(format($$SELECT crm.log_call(invoice_id => %s, outcome => 'no_answer', called_at => '2026-03-02 11:05:00+00')$$, :i),
                 '23503', NULL, 'a foreign key added to crm.invoice_events checks crm''s own event');
RESET ROLE;
ALTER TABLE crm.invoice_events DROP CONSTRAINT zz_test_allowed_fkey;
DROP TABLE public.zz_test_allowed;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT lives_ok(format($$SELECT crm.log_call(invoice_id => %s, outcome => 'no_answer', called_at => '2026-03-02 12:05:00+00')$$, :i),
                'and the event is written again once the key is dropped');
RESET ROLE;

-- The event stream: one event per lead, ids after the counter, numbered at commit.
SELECT is((SELECT count(*) FROM crm.events WHERE account_id = :a), 0::bigint,
          'the events wait for the commit');

SELECT * FROM finish();
ROLLBACK;
