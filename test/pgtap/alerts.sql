-- Failed-payment alert routing and the Important inbox.
BEGIN;
SELECT plan(19);

CREATE TEMP TABLE t AS SELECT crm_test.company('Alerts Co') AS a;
GRANT SELECT ON t TO crm_reader;

-- Seed as the owner: clients, offers, invoices (rows with only the columns routing needs).
INSERT INTO crm.clients (account_id, name) SELECT a, n FROM t, unnest(ARRAY['Olga', 'Petr', 'Rita']) n;
INSERT INTO crm.offers (account_id, name, price, notify_on_failed_payment)
  SELECT a, n, 100, f FROM t, (VALUES ('Course', true), ('Book', false), ('Club', true)) v(n, f);
INSERT INTO crm.conversations (account_id, client_id)
  SELECT a, id FROM t, crm.clients c WHERE c.account_id = t.a;

-- The helpers are PL/pgSQL: Citus plans the statements of a SQL function with parameters
-- once, without their values, and cannot ("could not create distributed plan"); and each
-- statement names its ids as values, not calls (a call to pg_temp in a statement sent to a
-- worker finds no such schema there).
CREATE FUNCTION pg_temp.emp(n text) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN RETURN crm_test.id('employees', (SELECT a FROM t), n); END$$;
CREATE FUNCTION pg_temp.client(n text) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN RETURN crm_test.id('clients', (SELECT a FROM t), n); END$$;
CREATE FUNCTION pg_temp.offer(n text) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN RETURN crm_test.id('offers', (SELECT a FROM t), n); END$$;
CREATE FUNCTION pg_temp.say(employee text, client text, at timestamptz) RETURNS void LANGUAGE plpgsql AS
  $$DECLARE acc bigint := (SELECT a FROM t); e bigint := pg_temp.emp(employee); c bigint := pg_temp.client(client);
  BEGIN
    INSERT INTO crm.messages (account_id, conversation_id, direction, employee_id, body, sent_at)
    SELECT v.account_id, v.id, 'out', e, 'hi', at FROM crm.conversations v
    WHERE v.account_id = acc AND v.client_id = c;
  END$$;
CREATE FUNCTION pg_temp.invoice(client text, offers text[]) RETURNS bigint LANGUAGE plpgsql AS
  $$DECLARE acc bigint := (SELECT a FROM t); c bigint := pg_temp.client(client); inv bigint; o text;
  BEGIN
    INSERT INTO crm.invoices (account_id, client_id, amount)
      VALUES (acc, c, 100 * cardinality(offers)) RETURNING id INTO inv;
    FOREACH o IN ARRAY offers LOOP
      INSERT INTO crm.invoice_items (account_id, invoice_id, offer_id, price) VALUES (acc, inv, pg_temp.offer(o), 100);
    END LOOP;
    RETURN inv;
  END$$;
CREATE FUNCTION pg_temp.fail(invoice bigint, at timestamptz, ext text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS
  $$DECLARE acc bigint := (SELECT a FROM t);
  BEGIN
    INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, failure_reason, at, external_id)
    VALUES (acc, invoice, 100, false, 'card declined', at, ext)
    ON CONFLICT (account_id, external_id) WHERE external_id IS NOT NULL DO NOTHING;
  END$$;
CREATE FUNCTION pg_temp.alerted(client text) RETURNS TABLE (employee text, offer text) LANGUAGE plpgsql AS
  $$DECLARE acc bigint := (SELECT a FROM t); c bigint := pg_temp.client(client);
  BEGIN
    RETURN QUERY SELECT e.name, o.name FROM crm.alerts al
    JOIN crm.employees e ON e.account_id = al.account_id AND e.id = al.employee_id
    JOIN crm.offers o ON o.account_id = al.account_id AND o.id = al.offer_id
    WHERE al.account_id = acc AND al.client_id = c
    ORDER BY 1, 2;
  END$$;

-- Seed scenario: Anna and Boris talk to Olga before the failure, Admin after it.
SELECT pg_temp.say('Anna', 'Olga', '2026-03-01 10:00+00');
SELECT pg_temp.say('Boris', 'Olga', '2026-03-01 11:00+00');
SELECT pg_temp.say('Admin', 'Olga', '2026-03-01 12:00:01+00');
SELECT pg_temp.say('Gone', 'Olga', '2026-03-01 09:00+00');
UPDATE crm.employees SET active = false WHERE account_id = (SELECT a FROM t) AND name = 'Gone';
SELECT pg_temp.say('Admin', 'Olga', '2026-03-01 12:00:00+00');  -- exactly at the failure: not before
CREATE TEMP TABLE inv AS SELECT pg_temp.invoice('Olga', ARRAY['Course']) AS id;
SELECT pg_temp.fail((SELECT id FROM inv), '2026-03-01 12:00+00', 'ext-1');

SELECT results_eq($$SELECT * FROM pg_temp.alerted('Olga')$$,
                  $$VALUES ('Anna', 'Course'), ('Boris', 'Course')$$,
                  'only employees who wrote strictly before the failure are alerted; not the inactive one');
SELECT results_eq($$SELECT DISTINCT happened_at, conversation_id, invoice_id FROM crm.alerts
                    WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Olga') FROM t)$$,
                  $$SELECT '2026-03-01 12:00+00'::timestamptz, v.id, (SELECT id FROM inv) FROM crm.conversations v
                    WHERE v.account_id = (SELECT a FROM t) AND v.client_id = (SELECT pg_temp.client('Olga') FROM t)$$,
                  'alerts carry the failure time and link the conversation and invoice');

-- Repeated report: same external id (the payment row is not inserted again) and a new row
-- for the same invoice and failure time.
SELECT pg_temp.fail((SELECT id FROM inv), '2026-03-01 12:00+00', 'ext-1');
SELECT pg_temp.fail((SELECT id FROM inv), '2026-03-01 12:00+00');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Olga') FROM t)),
          2::bigint, 'the same failure reported twice alerts once');
-- A later, separate failure alerts again (now including Admin).
SELECT pg_temp.fail((SELECT id FROM inv), '2026-03-02 12:00+00');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Olga') FROM t)
           AND happened_at = '2026-03-02 12:00+00'), 3::bigint, 'a new failure alerts everyone who wrote before it');

-- Offers without the flag: no alert.  Successful payment: no alert.
SELECT pg_temp.say('Anna', 'Petr', '2026-03-01 10:00+00');
SELECT pg_temp.fail(pg_temp.invoice('Petr', ARRAY['Book']), '2026-03-01 12:00+00');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Petr') FROM t)),
          0::bigint, 'an invoice without flagged offers alerts nobody');
SELECT a AS alerts_a, pg_temp.invoice('Petr', ARRAY['Course']) AS alerts_petr FROM t \gset
INSERT INTO crm.payments (account_id, invoice_id, amount, succeeded, at)
  VALUES (:alerts_a, :alerts_petr, 100, true, '2026-03-01 12:00+00');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Petr') FROM t)),
          0::bigint, 'a successful payment alerts nobody');

-- Mixed invoice: one alert per flagged offer only.
SELECT pg_temp.say('Boris', 'Rita', '2026-03-01 10:00+00');
SELECT pg_temp.fail(pg_temp.invoice('Rita', ARRAY['Course', 'Book', 'Club']), '2026-03-01 12:00+00');
SELECT results_eq($$SELECT * FROM pg_temp.alerted('Rita')$$,
                  $$VALUES ('Boris', 'Club'), ('Boris', 'Course')$$,
                  'a mixed invoice alerts for its flagged offers only');
-- A client nobody wrote to: no alert.
INSERT INTO crm.clients (account_id, name) SELECT a, 'Silent' FROM t;
SELECT pg_temp.fail(pg_temp.invoice('Silent', ARRAY['Course']), '2026-03-01 12:00+00');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Silent') FROM t)),
          0::bigint, 'a client nobody wrote to alerts nobody');

-- The Important inbox.
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Boris');
-- Article 000: the client's chat shows under Important once per failed payment, with
-- links to the failed offers: Rita's invoice holds two flagged offers, one row.
SELECT results_eq($$SELECT client, happened_at, offer_id, offer_ids FROM crm.important ORDER BY happened_at, client$$,
                  $$VALUES ('Olga', '2026-03-01 12:00+00'::timestamptz, pg_temp.offer('Course'), ARRAY[pg_temp.offer('Course')]),
                           ('Rita', '2026-03-01 12:00+00'::timestamptz, LEAST(pg_temp.offer('Course'), pg_temp.offer('Club')),
                            ARRAY[LEAST(pg_temp.offer('Course'), pg_temp.offer('Club')), GREATEST(pg_temp.offer('Course'), pg_temp.offer('Club'))]),
                           ('Olga', '2026-03-02 12:00+00'::timestamptz, pg_temp.offer('Course'), ARRAY[pg_temp.offer('Course')])$$,
                  'crm.important lists the current employee''s unresolved alerts, one row per failure with offer_ids');
SELECT is((SELECT count(*) FROM crm.alerts WHERE account_id = (SELECT a FROM t) AND client_id = (SELECT pg_temp.client('Rita') FROM t)),
          2::bigint, 'crm.alerts keeps one row per (failure, offer, employee)');
SELECT is(crm.mark_alert_seen((SELECT min(id) FROM crm.important), '2026-03-03 08:00+00'),
          '2026-03-03 08:00+00'::timestamptz, 'mark_alert_seen returns the time');
SELECT is((SELECT count(*) FROM crm.important WHERE seen_at IS NOT NULL), 1::bigint,
          'a seen alert stays in the inbox, marked');
SELECT is(crm.resolve_alert((SELECT min(id) FROM crm.important), '2026-03-03 09:00+00'),
          '2026-03-03 09:00+00'::timestamptz, 'resolve_alert returns the time');
SELECT is((SELECT count(*) FROM crm.important), 2::bigint, 'a resolved alert leaves the inbox');
SELECT is(crm.resolve_alert((SELECT id FROM crm.important WHERE client_id = (SELECT pg_temp.client('Rita') FROM t)), '2026-03-03 10:00+00'),
          '2026-03-03 10:00+00'::timestamptz, 'resolving the row of a failure with two offers');
SELECT results_eq($$SELECT resolved_at FROM crm.alerts WHERE account_id = (SELECT a FROM t)
                    AND client_id = (SELECT pg_temp.client('Rita') FROM t) ORDER BY offer_id$$,
                  $$VALUES ('2026-03-03 10:00+00'::timestamptz), ('2026-03-03 10:00+00'::timestamptz)$$,
                  '... resolves the alert of each of its offers, and the row leaves the inbox');
SELECT throws_ok($$SELECT crm.resolve_alert((SELECT min(id) FROM crm.alerts WHERE employee_id = (SELECT pg_temp.emp('Anna') FROM t)))$$,
                 '42501', NULL, 'an employee cannot resolve another employee''s alert');
SELECT throws_ok($$SELECT crm.resolve_alert(-1)$$, 'P0002', NULL, 'an unknown alert is reported');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', (SELECT a FROM t), 'Admin');
SELECT is((SELECT count(*) FROM crm.important), 1::bigint,
          'Admin, who wrote only after the first failure, has the second failure''s alert only');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
