-- Identity, the actor and customer data: rows that record who acted name the session's
-- employee (a bound login, crm_service with and without an employee, the owner), through
-- INSERT and through the functions; alerts are marked by their employee only, through the
-- functions and a plain UPDATE; sent_at is a sane time; an employee without
-- can_see_customers reads no customer value in any table or view (generated from the
-- catalog) and writes none, and crm's own code acting for it changes no row it cannot see.
BEGIN;

CREATE TEMP TABLE ca_rels (rel regclass);
INSERT INTO ca_rels SELECT c.oid FROM pg_class c
  WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'v')
    AND has_table_privilege('crm_test_manager', c.oid, 'SELECT');
-- The customer columns of the README's table (customers.sql hides them).
CREATE TEMP TABLE ca_cols (rel regclass, col name);
INSERT INTO ca_cols SELECT ('crm.' || t)::regclass, c FROM (VALUES
  ('clients', ARRAY['name', 'email', 'note', 'tags', 'budget', 'birthday', 'city', 'address', 'ip', 'attrs']),
  ('client_phones', ARRAY['raw', 'phone']),
  ('client_channels', ARRAY['address']),
  ('leads', ARRAY['contact_name', 'contact_phone', 'phone', 'email']),
  ('orders', ARRAY['phone', 'phone_e164']),
  ('invoices', ARRAY['ip']),
  ('messages', ARRAY['body']),
  ('calls', ARRAY['comment', 'recording']),
  ('outbox', ARRAY['recipient', 'cc', 'subject', 'body', 'payload'])) v(t, cs), unnest(cs) c;
GRANT SELECT ON ca_rels, ca_cols TO crm_reader;

SELECT plan((SELECT count(*)::int FROM ca_rels) + (SELECT count(*)::int * 2 FROM ca_cols) + 78);

SELECT crm_test.company('Actor A') AS a \gset
\set fill_n 3
\set fill_account :a
\ir fill.psql
\ir fill_due.psql
\ir fill_done.psql
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris,
       crm_test.id('employees', :a, 'Hidden') AS hidden, crm_test.id('employees', :a, 'Admin') AS admin \gset
SELECT format('crm_test_login_%s', :a) AS login_a \gset

-- Seeds, as the owner: a client with every customer column set and nobody responsible,
-- its conversation and invoice, an invoice placed from an IP address, a lead with an
-- email, a call with a recording and a copy of its email to the manager, and alerts.
INSERT INTO crm.clients (account_id, name, email, note, tags, budget, birthday, city, address, ip, attrs)
  VALUES (:a, 'Zoya Full', 'zoya@example.org', 'prefers calls after six', '{vip}', 777.25, '1977-07-07',
          'Казань', 'ул. Баумана, 1', '192.0.2.55', '{"source": "fair 2026"}') RETURNING id AS zoya \gset
INSERT INTO crm.client_phones (account_id, client_id, raw) VALUES (:a, :zoya, '+7 843 555-01-02');
INSERT INTO crm.conversations (account_id, client_id) VALUES (:a, :zoya) RETURNING id AS zoya_conv \gset
INSERT INTO crm.invoices (account_id, client_id, manager_id, amount) VALUES (:a, :zoya, :anna, 100) RETURNING id AS zoya_inv \gset
INSERT INTO crm.invoices (account_id, client_id, manager_id, amount, ip) VALUES (:a, :zoya, :anna, 300, '198.51.100.9')
  RETURNING id AS ip_inv \gset
INSERT INTO crm.leads (account_id, contact_name, contact_phone, email)
  VALUES (:a, 'Lev Lead', '+7 843 555-03-04', 'lev@example.org');
SELECT id AS tpl FROM crm.message_templates WHERE account_id = :a \gset
SELECT min(id) AS an_offer FROM crm.offers WHERE account_id = :a \gset
INSERT INTO crm.calls (account_id, invoice_id, employee_id, outcome, called_at, comment, recording, template_id, copy_to_manager)
  VALUES (:a, :zoya_inv, :anna, 'talked', now() - interval '1 hour', 'asked about the discount', 'calls/zoya-1.mp3', :tpl, true);
INSERT INTO crm.alerts (account_id, employee_id, client_id, happened_at)
  VALUES (:a, :boris, :zoya, now() - interval '1 day') RETURNING id AS boris_alert \gset
INSERT INTO crm.alerts (account_id, employee_id, client_id, happened_at)
  VALUES (:a, :anna, :zoya, now() - interval '1 day') RETURNING id AS anna_alert \gset
INSERT INTO crm.alerts (account_id, employee_id, client_id, happened_at)
  VALUES (:a, :hidden, :zoya, now() - interval '1 day');
-- A client of category spam, for a call task Hidden asks for.
INSERT INTO crm.clients (account_id, name, category) VALUES (:a, 'Spammy Sam', 'spam') RETURNING id AS spam \gset

-- ==== 3. The employee is the actor

-- A bound login (bound to Anna).
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE :login_a;
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, body) VALUES (%s, 'out', %s, 'as Boris')$$,
                        :zoya_conv, :boris),
                 '42501', format('a message names employee %s, and the session acts as employee %s', :boris, :anna),
                 'a bound login cannot write a message as a colleague (INSERT)');
SELECT throws_ok(format($$INSERT INTO crm.calls (invoice_id, employee_id, outcome) VALUES (%s, %s, 'talked')$$, :zoya_inv, :boris),
                 '42501', format('a call names employee %s, and the session acts as employee %s', :boris, :anna),
                 'a bound login cannot log a call as a colleague (INSERT)');
SELECT throws_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded, employee_id) VALUES (%s, 10, true, %s)$$, :zoya_inv, :boris),
                 '42501', format('a payment names employee %s, and the session acts as employee %s', :boris, :anna),
                 'a bound login cannot record a payment as a colleague (INSERT)');
SELECT set_config('crm.employee_id', :'boris', true);
SELECT throws_ok(format($$SELECT crm.log_call(invoice_id => %s, outcome => 'talked')$$, :zoya_inv), '42501',
                 format('role "%s" is bound to employee %s', :'login_a', :'anna'),
                 'a bound login cannot log a call as a colleague (crm.log_call)');
SELECT throws_ok(format($$SELECT crm.record_payment(%s, 10, true)$$, :zoya_inv), '42501',
                 format('role "%s" is bound to employee %s', :'login_a', :'anna'),
                 'a bound login cannot record a payment as a colleague (crm.record_payment)');
SELECT set_config('crm.employee_id', '', true);
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, body) VALUES (%s, 'out', %s, 'as myself')$$,
                       :zoya_conv, :anna), 'a bound login writes a message as itself');
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, body) VALUES (%s, 'out', 'nobody named')$$, :zoya_conv),
                'an employee left NULL is accepted');
SELECT (crm.log_call(invoice_id => :zoya_inv, outcome => 'talked')).id AS bound_call \gset
SELECT is((SELECT employee_id FROM crm.calls WHERE id = :bound_call), :'anna'::bigint, 'crm.log_call records the bound employee');
SELECT is((crm.record_payment(:zoya_inv, 10, true)).employee_id, :'anna'::bigint, 'crm.record_payment records the bound employee');
RESET ROLE;
SELECT is((SELECT employee_id FROM crm.messages WHERE account_id = :a AND body = 'nobody named'), NULL::bigint,
          'a message written without employee_id keeps NULL, as before');
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a AND id = :zoya), :'anna'::bigint,
          'the bound login''s own first message made it responsible, not Boris');

-- crm_service acting as Anna names Anna only.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, body) VALUES (%s, 'out', %s, 'x')$$,
                        :zoya_conv, :boris), '42501', NULL, 'crm_service acting as Anna cannot write a message as Boris');
SELECT throws_ok(format($$INSERT INTO crm.calls (invoice_id, employee_id, outcome) VALUES (%s, %s, 'talked')$$, :zoya_inv, :boris),
                 '42501', NULL, 'crm_service acting as Anna cannot log a call as Boris');
SELECT throws_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded, employee_id) VALUES (%s, 10, true, %s)$$, :zoya_inv, :boris),
                 '42501', NULL, 'crm_service acting as Anna cannot record a payment as Boris');
RESET ROLE;
-- An admin is an employee like any other.
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT throws_ok(format($$INSERT INTO crm.calls (invoice_id, employee_id, outcome) VALUES (%s, %s, 'talked')$$, :zoya_inv, :boris),
                 '42501', NULL, 'an admin acting as itself cannot log a call as Boris');
RESET ROLE;
-- crm_service without an employee is the application itself (an import): it names anyone.
SELECT crm_test.act('crm_test_manager', :a);
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, body, sent_at) VALUES (%s, 'out', %s, 'imported', now() - interval '20 days')$$,
                       :zoya_conv, :boris), 'crm_service without an employee imports a message by Boris');
SELECT lives_ok(format($$INSERT INTO crm.calls (invoice_id, employee_id, outcome, called_at) VALUES (%s, %s, 'talked', now() - interval '20 days')$$, :zoya_inv, :boris),
                'crm_service without an employee imports a call by Boris');
SELECT lives_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded, employee_id, at) VALUES (%s, 10, true, %s, now() - interval '20 days')$$, :zoya_inv, :boris),
                'crm_service without an employee imports a payment recorded by Boris');
RESET ROLE;
SELECT is((SELECT first_out_at FROM crm.client_contacts WHERE account_id = :a AND client_id = :zoya AND employee_id = :boris),
          (SELECT sent_at FROM crm.messages WHERE account_id = :a AND conversation_id = :zoya_conv AND body = 'imported'),
          'the imported message is Boris''s contact');
-- The owner names anyone (crm_test.fill does).
SELECT lives_ok(format($$INSERT INTO crm.calls (account_id, invoice_id, employee_id, outcome) VALUES (%s, %s, %s, 'talked')$$, :a, :zoya_inv, :admin),
                'the owner logs a call as any employee');

-- Alerts: only the employee an alert was sent to marks it.
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE :login_a;
SELECT throws_ok(format('SELECT crm.resolve_alert(%s)', :boris_alert), '42501',
                 format('alert %s was sent to employee %s, and the session acts as employee %s', :boris_alert, :boris, :anna),
                 'a bound login cannot resolve a colleague''s alert (crm.resolve_alert)');
SELECT throws_ok(format('SELECT crm.mark_alert_seen(%s)', :boris_alert), '42501', NULL,
                 'nor mark it seen (crm.mark_alert_seen)');
SELECT throws_ok(format('UPDATE crm.alerts SET resolved_at = now() WHERE id = %s', :boris_alert), '42501',
                 format('alert %s was sent to employee %s, and the session acts as employee %s', :boris_alert, :boris, :anna),
                 'nor resolve it with UPDATE');
SELECT throws_ok('UPDATE crm.alerts SET seen_at = now() WHERE seen_at IS NULL', '42501', NULL,
                 'an UPDATE of every alert fails on the colleague''s');
SELECT lives_ok(format('UPDATE crm.alerts SET resolved_at = now() WHERE id = %s', :anna_alert),
                'a bound login resolves its own alert with UPDATE');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT throws_ok(format('UPDATE crm.alerts SET resolved_at = now() WHERE id = %s', :boris_alert), '42501', NULL,
                 'crm_service acting as Anna cannot resolve Boris''s alert with UPDATE');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a);
SELECT throws_ok(format('UPDATE crm.alerts SET resolved_at = now() WHERE id = %s', :boris_alert), '42501',
                 format('alert %s was sent to employee %s, and the session acts as no employee', :boris_alert, :boris),
                 'crm_service without an employee resolves no alert with UPDATE');
SELECT throws_ok(format('SELECT crm.resolve_alert(%s)', :boris_alert), '42501', NULL,
                 'nor with crm.resolve_alert');
RESET ROLE;
SELECT is((SELECT row(seen_at, resolved_at)::text FROM crm.alerts WHERE account_id = :a AND id = :boris_alert), '(,)',
          'Boris''s alert is neither seen nor resolved');
SELECT ok((SELECT resolved_at IS NOT NULL FROM crm.alerts WHERE account_id = :a AND id = :anna_alert), 'Anna''s own alert is resolved');

-- sent_at: finite, not after now + 5 minutes, not before 2000; a bound login's is now.
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Timo Time') RETURNING id AS timo \gset
INSERT INTO crm.conversations (account_id, client_id) VALUES (:a, :timo) RETURNING id AS timo_conv \gset
SELECT crm_test.act('crm_test_manager', :a);
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, '-infinity')$$, :timo_conv, :boris),
                 '22008', 'sent_at "-infinity" is out of range for a message', 'sent_at -infinity is refused with 22008');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (%s, 'in', 'infinity')$$, :timo_conv),
                 '22008', 'sent_at "infinity" is out of range for a message', 'sent_at infinity is refused, incoming too');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, now() + interval '6 minutes')$$, :timo_conv, :boris),
                 '22008', NULL, 'sent_at more than 5 minutes ahead of the transaction is refused');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, '1999-12-31 23:59:59+00')$$, :timo_conv, :boris),
                 '22008', NULL, 'sent_at before 2000-01-01 is refused');
SELECT is((SELECT count(*) FROM crm.client_contacts WHERE account_id = :a AND client_id = :timo), 0::bigint,
          'a refused time made no one first to write');
SELECT is((SELECT responsible_id FROM crm.clients WHERE account_id = :a AND id = :timo), NULL::bigint,
          'and no one responsible');
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, now() + interval '4 minutes')$$, :timo_conv, :boris),
                'a clock 4 minutes ahead is tolerated');
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, '2000-01-01 00:00:00+00')$$, :timo_conv, :admin),
                'crm_service imports a message of 2000-01-01');
RESET ROLE;
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE :login_a;
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, sent_at) VALUES (%s, 'out', now() - interval '1 hour')$$, :timo_conv),
                 '22008', NULL, 'a bound login cannot backdate a message');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, '2000-01-02')$$, :timo_conv, :anna),
                 '22008', NULL, 'a bound login cannot make itself first to write with a far-past time');
SELECT lives_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, sent_at) VALUES (%s, 'out', %s, now() - interval '4 minutes')$$, :timo_conv, :anna),
                'a bound login''s clock 4 minutes behind is tolerated');
RESET ROLE;
SELECT results_eq(format($$SELECT employee_id FROM crm.client_contacts WHERE account_id = %s AND client_id = %s ORDER BY first_out_at$$, :a, :timo),
                  format('VALUES (%s::bigint), (%s::bigint), (%s::bigint)', :admin, :anna, :boris),
                  'first to write: the import of 2000, then the bound login, then the message 4 minutes ahead');

-- ==== 4. can_see_customers holds on every path

-- The list above is the tables customers.sql hides data of, no more, no less.
SELECT is(ARRAY(SELECT polrelid::regclass::text FROM pg_policy WHERE polname = 'customers_visible' ORDER BY 1),
          ARRAY(SELECT DISTINCT rel::text FROM ca_cols ORDER BY 1), 'the customer columns tested are those of every customers_visible policy');
SELECT is(ARRAY(SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = '_customer_guard' ORDER BY 1),
          ARRAY(SELECT DISTINCT rel::text FROM ca_cols ORDER BY 1), 'each of those tables has the write guard');

-- The owner sees every customer column set, so that Hidden seeing none of them means something.
CREATE FUNCTION pg_temp.has_value(rel regclass, col name, account bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE r boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE account_id = $1 AND %I IS NOT NULL)', rel, col) INTO r USING account;
  RETURN r;
END $$;
SELECT ok(pg_temp.has_value(rel, col, :a), format('%s.%s holds customer data of the account', rel, col))
FROM ca_cols ORDER BY rel::text, col;

-- Every customer value of the account, as the JSON of a row quotes it (5 characters or
-- more, so that a match means something; an email's cc is the manager's, not a customer's).
CREATE TEMP TABLE ca_needles AS
SELECT DISTINCT btrim(to_jsonb(v)::text, '"') AS needle FROM (
  SELECT unnest(ARRAY[name, email, note, birthday::text, city, address, host(ip), attrs::text]) FROM crm.clients WHERE account_id = :a
  UNION ALL SELECT unnest(tags) FROM crm.clients WHERE account_id = :a
  UNION ALL SELECT unnest(ARRAY[raw, phone]) FROM crm.client_phones WHERE account_id = :a
  UNION ALL SELECT unnest(ARRAY[contact_name, contact_phone, phone, email]) FROM crm.leads WHERE account_id = :a
  UNION ALL SELECT unnest(ARRAY[phone, phone_e164]) FROM crm.orders WHERE account_id = :a
  UNION ALL SELECT host(ip) FROM crm.invoices WHERE account_id = :a
  UNION ALL SELECT body FROM crm.messages WHERE account_id = :a
  UNION ALL SELECT unnest(ARRAY[comment, recording]) FROM crm.calls WHERE account_id = :a
  UNION ALL SELECT unnest(ARRAY[recipient, subject, body]) FROM crm.outbox WHERE account_id = :a AND kind = 'email') s(v)
WHERE length(v) >= 5;
GRANT SELECT ON ca_needles TO crm_reader;
-- (The needles read first, as an array: Citus joins no table of this node with a
-- distributed one.)
CREATE FUNCTION pg_temp.leaks(rel regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint; needles text[] := ARRAY(SELECT needle FROM ca_needles);
BEGIN
  EXECUTE format('SELECT count(*) FROM %s t WHERE EXISTS (SELECT 1 FROM unnest($1) n WHERE strpos(to_jsonb(t)::text, n) > 0)', rel)
    INTO n USING needles;
  RETURN n;
END $$;
SELECT cmp_ok((SELECT count(*) FROM ca_needles), '>=', 40::bigint, 'the account holds many customer values to look for');
SELECT sum(leads) AS funnel_all FROM crm.funnel WHERE account_id = :a \gset

CREATE FUNCTION pg_temp.visible_values(rel regclass, col name) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(%I) FROM %s', col, rel) INTO n;
  RETURN n;
END $$;
-- The scan finds them where an employee with the right looks.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT ok(pg_temp.leaks(rel) > 0, format('Anna, who may see customers, reads customer values in %s', rel))
FROM unnest(ARRAY['crm.clients', 'crm.lead_board', 'crm.outbox', 'crm.chat_list']::regclass[]) rel;
RESET ROLE;

SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT is(pg_temp.visible_values(rel, col), 0::bigint, format('an employee without can_see_customers reads no %s.%s', rel, col))
FROM ca_cols ORDER BY rel::text, col;
SELECT is(pg_temp.leaks(rel), 0::bigint, format('an employee without can_see_customers reads no customer value in %s', rel))
FROM ca_rels ORDER BY rel::text;

-- What it still sees: the money without the person, the counts, its alerts without the client.
SELECT ok((SELECT count(*) FROM crm.invoice_card) > 0 AND
          (SELECT count(*) FROM crm.invoice_card WHERE coalesce(client, address, city, note) IS NOT NULL) = 0,
          'Hidden sees the invoice cards, without the client''s name, address, city or note');
SELECT is((SELECT count(*) FROM crm.invoices WHERE id = :ip_inv), 0::bigint, 'but not an invoice that records the customer''s ip');
SELECT is((SELECT count(*) FROM crm.lead_board), 0::bigint, 'Hidden''s lead board is empty: leads are customer data');
SELECT ok((SELECT sum(leads) FROM crm.funnel) = :'funnel_all'::numeric AND :'funnel_all'::numeric > 0,
          'the funnel still counts every lead');
SELECT ok((SELECT count(*) FROM crm.important) = 1 AND (SELECT client FROM crm.important) IS NULL,
          'Hidden''s inbox shows its alert without the client''s name');
SELECT is((SELECT count(*) FROM crm.client_candidates('+7 843 555-01-02')), 0::bigint, 'no client candidates');
SELECT is((SELECT count(*) FROM crm.order_candidates(1)), 0::bigint, 'no order candidates, whatever the id');
SELECT throws_ok(format($$SELECT crm.render_template('{$name}', %s)$$, :zoya), 'P0002', NULL,
                 'crm.render_template renders no client it cannot see');

-- Its writes: no customer data, and nothing crm would change on a row it cannot see.
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('Typed by Hidden')$$, '42501',
                 format('crm.leads holds customer data, which employee %s may not see', :hidden),
                 'Hidden cannot add a lead');
SELECT throws_ok($$INSERT INTO crm.orders (amount) VALUES (5)$$, '42501', NULL, 'nor an order');
SELECT throws_ok($$INSERT INTO crm.clients (name) VALUES ('Sneaky')$$, '42501',
                 format('crm.clients holds customer data, which employee %s may not see', :hidden), 'nor a client');
SELECT throws_ok(format($$INSERT INTO crm.messages (conversation_id, direction, employee_id, body) VALUES (%s, 'out', %s, 'hi')$$, :timo_conv, :hidden),
                 '42501', format('crm.messages holds customer data, which employee %s may not see', :hidden),
                 'Hidden cannot write to a client (a message would make it responsible)');
SELECT throws_ok(format($$INSERT INTO crm.calls (invoice_id, outcome) VALUES (%s, 'wrong_contact')$$, :zoya_inv),
                 '42501', format('crm.calls holds customer data, which employee %s may not see', :hidden),
                 'Hidden cannot log a call (INSERT): it would flag the contact');
SELECT throws_ok(format($$SELECT crm.log_call(invoice_id => %s, outcome => 'wrong_contact')$$, :zoya_inv), '42501', NULL,
                 'nor with crm.log_call');
SELECT throws_ok(format($$INSERT INTO crm.invoices (client_id, amount, ip) VALUES (%s, 1, '203.0.113.1')$$, :zoya), '42501',
                 format('column "ip" of crm.invoices holds customer data, which employee %s may not see', :hidden),
                 'Hidden cannot record a customer''s ip on a new invoice');
SELECT throws_ok(format($$UPDATE crm.invoices SET ip = '203.0.113.1' WHERE id = %s$$, :zoya_inv), '42501', NULL,
                 'nor on an invoice it sees');
SELECT throws_ok(format($$INSERT INTO crm.payments (invoice_id, amount, succeeded) VALUES (%s, 10, true)$$, :ip_inv), '23503',
                 format('invoice %s does not exist', :ip_inv), 'Hidden records no payment on an invoice it cannot see');
SELECT throws_ok(format($$SELECT crm.record_payment(%s, 10, true)$$, :ip_inv), '23503', NULL, 'nor with crm.record_payment');
SELECT throws_ok(format($$INSERT INTO crm.invoice_items (invoice_id, offer_id, price) VALUES (%s, %s, 1)$$, :ip_inv, :an_offer),
                 '23503', NULL, 'nor an item on it');
SELECT throws_ok(format($$INSERT INTO crm.call_tasks (client_id, title) VALUES (%s, 'Call Sam')$$, :spam), '55000',
                 format('client %s is in category "spam"', :spam), 'a refused call task names the client by id only');
SELECT lives_ok(format($$SELECT crm.record_payment(%s, 10, true)$$, :zoya_inv), 'Hidden records a payment on an invoice it sees');
RESET ROLE;
SELECT is((SELECT row(paid_amount, status)::text FROM crm.invoices WHERE account_id = :a AND id = :ip_inv), '(0.00,awaiting)',
          'the invoice Hidden cannot see is unchanged');
SELECT is((SELECT contact_flagged FROM crm.clients WHERE account_id = :a AND id = :zoya), false, 'the contact is not flagged');
SELECT is((SELECT count(*) FROM crm.client_contacts WHERE account_id = :a AND employee_id = :hidden), 0::bigint,
          'Hidden wrote to no client');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id = :a AND contact_name = 'Typed by Hidden'), 0::bigint,
          'no lead was added');

-- The same holds for a login bound to Hidden.
-- (Through a Citus coordinator the file's steps commit: a run after another finds the
-- login and its binding left behind; it logs in there, as Citus connects as it.)
SELECT crm.unbind_login(oid::regrole) FROM pg_roles WHERE rolname = 'crm_ca_hidden_login';
DROP ROLE IF EXISTS crm_ca_hidden_login;
CREATE ROLE crm_ca_hidden_login LOGIN IN ROLE crm_manager;
SELECT crm.bind_login('crm_ca_hidden_login', :a, :hidden);
SELECT set_config('crm.account_id', '', true), set_config('crm.employee_id', '', true);
SET LOCAL ROLE crm_ca_hidden_login;
SELECT is((SELECT count(*) FROM crm.clients) + (SELECT count(*) FROM crm.leads) + (SELECT count(*) FROM crm.messages)
          + (SELECT count(*) FROM crm.outbox) + (SELECT count(*) FROM crm.calls) + (SELECT count(*) FROM crm.orders),
          0::bigint, 'a login bound to Hidden reads no client, lead, message, email, call or order');
SELECT ok((SELECT count(*) FROM crm.invoice_card) > 0, 'and reads the invoice cards');
SELECT is(current_setting('crm.employee_id'), '', 'with crm.employee_id unset ...');
SELECT is(crm.current_employee(), :'hidden'::bigint, '... a login bound to Hidden still acts as Hidden (it cannot shed the employee to read clients)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
