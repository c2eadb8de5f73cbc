-- behaviour/linking.sql: the phone and linking rules the lead_insert_phone and
-- order_insert workloads exercise, run against crm and against the PL/pgSQL
-- variant (plpgsql/40_linking.sql): normalisation, the client link at lead
-- insert in auto mode (and none when 0 or 2 clients have the phone), order
-- numbering, the order link at insert in auto mode (both ways, status move,
-- history; none without exactly one candidate), the lead-side link to a
-- waiting order, a lead_id written by the client, the advisory locks, the
-- 428C9 refusals, and an order number given from outside.
BEGIN;
SELECT plan(36);

SELECT crm_test.company('Link A') AS a \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'Lost') AS s_lost,
       crm_test.id('statuses', :a, 'Paid order') AS s_paid, crm_test.id('employees', :a, 'Anna') AS anna \gset
UPDATE crm.accounts SET client_link_mode = 'auto', order_link_mode = 'auto' WHERE id = :a;
SET LOCAL crm.account_id = :a;
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Ivan') RETURNING id AS c_ivan \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Twin 1') RETURNING id AS c_t1 \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Twin 2') RETURNING id AS c_t2 \gset
INSERT INTO crm.client_phones (account_id, client_id, raw) VALUES
  (:a, :c_ivan, '8 (903) 111-11-11'), (:a, :c_ivan, '+7 904 111 11 11'),
  (:a, :c_t1, '8 903 222-22-22'), (:a, :c_t2, '+79032222222');

SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Leads and clients.
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan', '8 (903) 111-11-11') RETURNING id AS l_ivan \gset
SELECT is((SELECT phone FROM crm.leads WHERE id = :l_ivan), '+79031111111',
    'a lead''s phone is the E.164 form of contact_phone in the account''s region');
SELECT is((SELECT contact_phone FROM crm.leads WHERE id = :l_ivan), '8 (903) 111-11-11', 'contact_phone stays as typed');
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l_ivan), :'c_ivan'::bigint,
    'auto mode links a new lead to the one client with its phone');
SELECT results_eq(format($$SELECT kind, employee_id, detail FROM crm.lead_events WHERE lead_id = %s ORDER BY id$$, :l_ivan),
    format($$VALUES ('created'::text, %1$s::bigint, '{"number": "L-00001"}'::jsonb),
                    ('client_linked', %1$s, '{"from": null, "to": %2$s}')$$, :anna, :c_ivan),
    'the client link is recorded after "created"');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Twin', '+7 903 222 22 22') RETURNING id AS l_twin \gset
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l_twin), NULL, 'two clients with the phone: no link');
SELECT is((SELECT array_agg(kind ORDER BY id) FROM crm.lead_events WHERE lead_id = :l_twin), ARRAY['created'],
    'two clients with the phone: only "created" in the history');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Nobody', '8 903 333 33 33') RETURNING id AS l_nobody \gset
SELECT ok((SELECT client_id IS NULL AND phone = '+79033333333' FROM crm.leads WHERE id = :l_nobody),
    'no client with the phone: no link, the phone is normalised');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Garbage', 'call me maybe') RETURNING id AS l_bad \gset
SELECT ok((SELECT phone IS NULL AND contact_phone = 'call me maybe' FROM crm.leads WHERE id = :l_bad),
    'a phone that is not valid gives phone NULL and the lead is kept');
INSERT INTO crm.leads (contact_name, phone) VALUES ('Typed', '8 904 111 11 11') RETURNING id AS l_typed \gset
SELECT ok((SELECT contact_phone = '8 904 111 11 11' AND phone = '+79041111111' AND client_id = :c_ivan
             FROM crm.leads WHERE id = :l_typed),
    'a number typed into phone alone is the contact phone, normalised and matched');
INSERT INTO crm.leads (contact_name, contact_phone, phone) VALUES ('Agreed', '8 903 444 44 44', '+79034444444')
  RETURNING id AS l_agreed \gset
SELECT is((SELECT phone FROM crm.leads WHERE id = :l_agreed), '+79034444444', 'a phone that agrees with contact_phone is accepted');

-- Orders: numbering, no candidate.
INSERT INTO crm.orders (phone, amount) VALUES ('8 (903) 555-55-55', 100) RETURNING id AS o1 \gset
SELECT ok((SELECT number = 'ORD-000001' AND phone = '8 (903) 555-55-55' AND phone_e164 = '+79035555555'
             AND number_seq = 1 AND created_at = now() FROM crm.orders WHERE id = :o1),
    'an order is numbered from order_number_template and its phone normalised');
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o1), NULL, 'no open lead with the phone: the order stays unlinked');
INSERT INTO crm.orders (phone, amount) VALUES ('+7 903 222 22 22', 100) RETURNING id AS o2 \gset
SELECT is((SELECT number FROM crm.orders WHERE id = :o2), 'ORD-000002', 'order numbers follow on');

-- Orders: the one candidate lead.
SELECT ok((SELECT lead_id = :l_twin FROM crm.orders WHERE id = :o2), 'auto mode links a new order to the one open lead with its phone');
SELECT ok((SELECT order_id = :o2 AND status_id = :s_paid AND closed_at = now() AND status_changed_at = now()
             FROM crm.leads WHERE id = :l_twin),
    'the lead is linked back and moved to order_won_status_id, regardless of the transition rules');
SELECT results_eq(format($$SELECT kind, from_status_id, to_status_id, employee_id, detail
                          FROM crm.lead_events WHERE lead_id = %s ORDER BY id$$, :l_twin),
    format($$VALUES ('created'::text, NULL::bigint, %1$s::bigint, %3$s::bigint, '{"number": "L-00002"}'::jsonb),
                    ('status_changed', %1$s, %2$s, %3$s, '{"by": "system", "comment": null}'),
                    ('order_linked', NULL, NULL, %3$s, '{"from": null, "to": %4$s}')$$,
           :s_new, :s_paid, :anna, :o2),
    'the history has the system status move, then the order link');
INSERT INTO crm.orders (phone, amount) VALUES ('8 903 111-11-11', 100) RETURNING id AS o3 \gset
SELECT ok((SELECT lead_id = :l_ivan AND client_id = :c_ivan FROM crm.orders WHERE id = :o3),
    'an order without a client takes the client of its lead');
SELECT is((SELECT array_agg(kind ORDER BY id) FROM crm.lead_events WHERE lead_id = :l_ivan),
    ARRAY['created', 'client_linked', 'status_changed', 'order_linked'], 'a lead that has its client gets no second client_linked');
INSERT INTO crm.orders (client_id, phone, amount) VALUES (:c_t1, '8 903 444 44 44', 100) RETURNING id AS o4 \gset
SELECT ok((SELECT o.lead_id = :l_agreed AND l.client_id = :c_t1 FROM crm.orders o JOIN crm.leads l ON l.id = o.lead_id
            WHERE o.id = :o4),
    'a lead without a client takes the client of its order');
SELECT results_eq(format($$SELECT kind, detail FROM crm.lead_events WHERE lead_id = %s AND kind <> 'created' ORDER BY id$$, :l_agreed),
    format($$VALUES ('status_changed'::text, '{"by": "system", "comment": null}'::jsonb),
                    ('client_linked', '{"from": null, "to": %s}'), ('order_linked', '{"from": null, "to": %s}')$$, :c_t1, :o4),
    'status move, client link and order link are in the history, in that order');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Double 1', '8 903 666 66 66') RETURNING id AS l_d1 \gset
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Double 2', '8 903 666 66 66') RETURNING id AS l_d2 \gset
INSERT INTO crm.orders (phone, amount) VALUES ('+79036666666', 100) RETURNING id AS o5 \gset
SELECT ok((SELECT lead_id IS NULL FROM crm.orders WHERE id = :o5)
          AND (SELECT count(*) = 2 FROM crm.leads WHERE id IN (:l_d1, :l_d2) AND order_id IS NULL AND status_id = :s_new),
    'two open leads with the phone: no link');
INSERT INTO crm.orders (phone, amount) VALUES ('+7 903 111 11 11', 100) RETURNING id AS o6 \gset
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o6), NULL, 'a lead already linked (and closed) is no candidate');
INSERT INTO crm.orders (client_id, phone, amount) VALUES (:c_t2, '8 903 333 33 33', 100) RETURNING id AS o7 \gset
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o7), :'l_nobody'::bigint, 'a lead with no client is a candidate for any client');

-- A lead arriving for a waiting order.
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Late lead', '8 (903) 555-55-55') RETURNING id AS l_late \gset
SELECT ok((SELECT o.lead_id = :l_late AND l.order_id = :o1 AND l.status_id = :s_paid
             FROM crm.orders o JOIN crm.leads l ON l.id = o.lead_id WHERE o.id = :o1),
    'auto mode links a new lead to the one unlinked order with its phone');

-- A lead_id written by the client.
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('By hand', '8 903 777 77 77') RETURNING id AS l_hand \gset
INSERT INTO crm.orders (phone, amount) VALUES ('8 903 888 88 88', 100) RETURNING id AS o8 \gset
UPDATE crm.orders SET lead_id = :l_hand WHERE id = :o8;
SELECT ok((SELECT order_id = :o8 AND status_id = :s_paid FROM crm.leads WHERE id = :l_hand),
    'writing orders.lead_id links both ways and moves the lead');
INSERT INTO crm.leads (contact_name) VALUES ('Closed') RETURNING id AS l_closed, number AS n_closed \gset
UPDATE crm.leads SET status_id = :s_lost WHERE id = :l_closed;
INSERT INTO crm.orders (phone, amount) VALUES ('8 903 999 99 99', 100) RETURNING id AS o9, number AS n9 \gset
SELECT throws_ok(format('UPDATE crm.orders SET lead_id = %s WHERE id = %s', :l_closed, :o9), '55000',
    format('lead "%s" is closed', :'n_closed'), 'a closed lead cannot be linked');
SELECT throws_ok(format('UPDATE crm.orders SET lead_id = %s WHERE id = %s', :l_nobody, :o8), '55000',
    format('order "ORD-000008" is already linked to lead %s', :l_hand), 'an order''s link is never moved');

-- crm's own locks: one row of crm.locks per (account, bucket of a searched phone), locked
-- (read as the owner: no crm role may read crm.locks).
RESET ROLE;
SELECT results_eq(
    format($$SELECT account_id, key::bigint FROM crm.locks
              WHERE account_id = %s AND key < 64 AND xmax <> '0'::xid ORDER BY 2$$, :a),
    format($$SELECT DISTINCT %s::bigint, (hashtext(p) & 63)::bigint FROM (
               SELECT phone FROM crm.leads WHERE account_id = %1$s AND phone IS NOT NULL
               UNION SELECT phone_e164 FROM crm.orders WHERE account_id = %1$s) s(p) ORDER BY 2$$, :a),
    'every open new lead and every new order in auto mode locks its phone''s bucket');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Refusals (428C9).
SELECT throws_ok($$INSERT INTO crm.leads (contact_name, contact_phone, phone) VALUES ('x', '8 903 111 11 11', '+79990000000')$$,
    '428C9', 'cannot write "+79990000000" into column "phone" of crm.leads', 'a phone that contradicts contact_phone is refused');
SELECT throws_ok(format($$INSERT INTO crm.leads (contact_name, order_id) VALUES ('x', %s)$$, :o5),
    '428C9', 'column "order_id" of crm.leads is set by linking', 'a new lead cannot name its order');
SELECT throws_ok(format($$UPDATE crm.leads SET order_id = %s WHERE id = %s$$, :o5, :l_d1),
    '428C9', 'column "order_id" of crm.leads is set by linking', 'leads.order_id cannot be written');
SELECT throws_ok($$INSERT INTO crm.orders (number, phone) VALUES ('ORD-999999', '8 903 111 11 11')$$,
    '22023', 'order number "ORD-999999" has the form of the numbers crm makes', 'an order number of the template''s form cannot be given');
INSERT INTO crm.orders (number) VALUES ('SHOP-1');
SELECT is((SELECT coalesce(number_seq::text, 'none') FROM crm.orders WHERE number = 'SHOP-1'), 'none',
    'a web shop''s number is kept, outside the counter');
SELECT throws_ok($$INSERT INTO crm.orders (number) VALUES ('SHOP-1')$$,
    '23505', 'order number "SHOP-1" is already taken', 'a number given twice is refused');
SELECT throws_ok($$INSERT INTO crm.orders (phone, phone_e164) VALUES ('8 903 111 11 11', '+79990000000')$$,
    '428C9', 'cannot write "+79990000000" into column "phone_e164" of crm.orders', 'a phone_e164 that contradicts phone is refused');
SELECT is((SELECT max(number_seq) FROM crm.orders WHERE account_id = :a), 9::bigint, 'refused orders take no number');

SELECT * FROM finish();
ROLLBACK;
