-- Linking: lead phones, lead <-> client, orders, order <-> lead, link modes, errors, the right to see customers.
BEGIN;
SELECT plan(52);

SELECT crm_test.company('Linking') AS a \gset
SELECT crm_test.id('statuses', :a, 'New') AS s_new, crm_test.id('statuses', :a, 'Won') AS s_won,
       crm_test.id('statuses', :a, 'Paid order') AS s_paid \gset
INSERT INTO crm.clients (account_id, name) VALUES (:a, 'Ivan') RETURNING id AS ivan \gset
INSERT INTO crm.clients (account_id, name, category) VALUES (:a, 'Petr', 'sleeping') RETURNING id AS petr \gset
INSERT INTO crm.client_phones (account_id, client_id, raw) VALUES (:a, :ivan, '8 (916) 123-45-67'), (:a, :petr, '+7 495 111 22 33');

SELECT crm_test.act('crm_test_manager', :a, 'Anna');

-- Lead phones.
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan', '+7 916 123 45 67') RETURNING id AS l1 \gset
SELECT is((SELECT phone FROM crm.leads WHERE id = :l1), '+79161234567', 'lead phone: E.164 of contact_phone');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Typo', '8 916 12') RETURNING id AS l_bad \gset
SELECT is((SELECT phone FROM crm.leads WHERE id = :l_bad), NULL, 'a badly typed phone gives phone NULL');
SELECT is((SELECT contact_phone FROM crm.leads WHERE id = :l_bad), '8 916 12', '... and the lead is kept with its contact_phone');
UPDATE crm.leads SET contact_phone = '8 916 123 45 68' WHERE id = :l_bad;
SELECT is((SELECT phone FROM crm.leads WHERE id = :l_bad), '+79161234568', 'updating contact_phone recomputes phone');
SELECT throws_ok(format($$UPDATE crm.leads SET phone = '+70000000000' WHERE id = %s$$, :l_bad), '428C9', NULL,
    'writing leads.phone by hand is refused with 428C9');
SELECT throws_ok(format($$UPDATE crm.leads SET order_id = 1 WHERE id = %s$$, :l_bad), '428C9', NULL,
    'writing leads.order_id by hand is refused with 428C9');

-- Lead <-> client, suggest (the default).
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l1), NULL, 'suggest mode: the lead is not linked at insert');
SELECT results_eq(format($$SELECT id, name, phone, category FROM crm.client_candidates('8 916 123-45-67')$$),
    format($$VALUES (%s::bigint, 'Ivan'::text, '+79161234567'::text, 'client'::text)$$, :ivan),
    'client_candidates: the client whose phone fully matches, however typed');
SELECT is_empty($$SELECT * FROM crm.client_candidates('8 916 123-45-69')$$, 'client_candidates: no partial matches');
SELECT is_empty($$SELECT * FROM crm.client_candidates('nonsense')$$, 'client_candidates: nothing for garbage');
SELECT is((crm.link_lead_client(:l1, :ivan)).client_id, :ivan::bigint, 'link_lead_client links the lead');
SELECT is((SELECT detail->>'to' FROM crm.lead_events WHERE lead_id = :l1 AND kind = 'client_linked'), :ivan::text,
    'linking by hand records client_linked');
SELECT throws_ok(format($$SELECT crm.link_lead_client(%s, 999999)$$, :l1), '23503', 'client 999999 does not exist',
    'link_lead_client: unknown client is 23503');
SELECT throws_ok(format($$SELECT crm.link_lead_client(999999, %s)$$, :ivan), 'P0002', 'lead 999999 does not exist',
    'link_lead_client: unknown lead is P0002');
RESET ROLE;

-- Auto and off.
UPDATE crm.accounts SET client_link_mode = 'auto' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Ivan again', '89161234567') RETURNING id AS l2 \gset
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l2), :ivan::bigint, 'auto mode: one matching client is linked at insert');
SELECT results_eq(format($$SELECT kind FROM crm.lead_events WHERE lead_id = %s ORDER BY id$$, :l2),
    $$VALUES ('created'::text), ('client_linked')$$, 'auto link: created, then client_linked');
INSERT INTO crm.client_phones (client_id, raw) VALUES (:petr, '8 916 123 45 67');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Shared', '89161234567') RETURNING id AS l3 \gset
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l3), NULL, 'auto mode: two matching clients, no link');
SELECT is((SELECT count(*) FROM crm.client_candidates('+79161234567')), 2::bigint, '... both are candidates');
INSERT INTO crm.leads (contact_name, contact_phone, client_id) VALUES ('Given', '+7 495 111 22 33', :ivan) RETURNING id AS l4 \gset
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l4), :ivan::bigint, 'auto mode keeps a client given at insert');
RESET ROLE;
UPDATE crm.accounts SET client_link_mode = 'off' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Off', '+7 495 111 22 33') RETURNING id AS l5 \gset
SELECT is((SELECT client_id FROM crm.leads WHERE id = :l5), NULL, 'off mode: no link at insert');
SELECT is_empty($$SELECT * FROM crm.client_candidates('+7 495 111 22 33')$$, 'off mode: no candidates');
RESET ROLE;
UPDATE crm.accounts SET client_link_mode = 'suggest' WHERE id = :a;

-- Orders.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.orders (phone, amount) VALUES ('8 (495) 111-22-33', 100) RETURNING id AS o1 \gset
SELECT is((SELECT number FROM crm.orders WHERE id = :o1), 'ORD-000001', 'an order is numbered from order_number_template');
SELECT is((SELECT phone_e164 FROM crm.orders WHERE id = :o1), '+74951112233', 'orders.phone_e164 from orders.phone');
SELECT throws_ok($$INSERT INTO crm.orders (number, phone) VALUES ('ORD-000002', '1')$$, '22023', NULL,
    'an order number given in the form of the template''s is refused (orders.sql has the numbers given from outside)');
SELECT throws_ok(format($$DELETE FROM crm.orders WHERE id = %s$$, :o1), '42501', NULL, 'orders cannot be deleted');
INSERT INTO crm.orders (phone) VALUES ('not a phone') RETURNING id AS o_bad \gset
SELECT is((SELECT phone_e164 FROM crm.orders WHERE id = :o_bad), NULL, 'an order with a bad phone is kept, phone_e164 NULL');

-- order_candidates: open, unlinked leads of a compatible client with the phone.
SELECT results_eq(format($$SELECT id FROM crm.order_candidates(%s)$$, :o1),
    format($$VALUES (%s::bigint), (%s::bigint)$$, :l5, :l4), 'order_candidates: the open leads with the order''s phone, newest first');
SELECT is_empty(format($$SELECT * FROM crm.order_candidates(%s)$$, :o_bad), 'order_candidates: nothing for an order without a valid phone');
SELECT throws_ok($$SELECT * FROM crm.order_candidates(999999)$$, 'P0002', 'order 999999 does not exist', 'order_candidates: unknown order');

-- link_order.
SELECT is((crm.link_order(:o1, :l4)).status_id, :s_paid::bigint, 'link_order moves the lead to order_won_status_id, past the transition rules');
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o1), :l4::bigint, 'link_order sets orders.lead_id');
SELECT is((SELECT order_id FROM crm.leads WHERE id = :l4), :o1::bigint, '... and leads.order_id');
SELECT is((SELECT client_id FROM crm.orders WHERE id = :o1), :ivan::bigint, '... and the order takes the lead''s client');
SELECT results_eq(format($$SELECT kind, detail->>'by' FROM crm.lead_events WHERE lead_id = %s AND kind <> 'created' ORDER BY id$$, :l4),
    $$VALUES ('status_changed'::text, 'system'::text), ('order_linked', NULL)$$, 'linking records the status change (by system) and order_linked');
INSERT INTO crm.orders (phone) VALUES ('+74951112233') RETURNING id AS o2 \gset
SELECT throws_ok(format($$SELECT crm.link_order(%s, %s)$$, :o2, :l4), '55000', NULL, 'a lead linked to an order cannot be linked again');
SELECT throws_ok(format($$SELECT crm.link_order(%s, %s)$$, :o1, :l5), '55000', NULL, 'an order already linked cannot be linked again');
SELECT crm.transition_lead(:l3, crm_test.id('statuses', :a, 'Lost'));
SELECT throws_ok(format($$SELECT crm.link_order(%s, %s)$$, :o2, :l3), '55000', NULL, 'a closed lead cannot be linked');
INSERT INTO crm.orders (phone, client_id) VALUES ('+79161234567', :petr) RETURNING id AS o3 \gset
SELECT throws_ok(format($$SELECT crm.link_order(%s, %s)$$, :o3, :l1), '55000', NULL, 'a lead of another client cannot be linked');
SELECT is_empty(format($$SELECT id FROM crm.order_candidates(%s)$$, :o3),
    'order_candidates leaves out leads of another client and closed leads');
SELECT throws_ok(format($$SELECT crm.link_order(999999, %s)$$, :l1), 'P0002', NULL, 'link_order: unknown order');
SELECT throws_ok(format($$SELECT crm.link_order(%s, 999999)$$, :o2), 'P0002', NULL, 'link_order: unknown lead');
SELECT is((SELECT count(*) FROM crm.lead_events WHERE lead_id IN (:l1, :l3, :l4) AND kind = 'order_linked'), 1::bigint,
    'refused links recorded nothing');

-- Writing orders.lead_id links as link_order does.
UPDATE crm.orders SET lead_id = :l5 WHERE id = :o2;
SELECT is((SELECT order_id FROM crm.leads WHERE id = :l5), :o2::bigint, 'UPDATE orders SET lead_id links both ways');
SELECT throws_ok(format($$UPDATE crm.orders SET lead_id = %s WHERE id = %s$$, :l1, :o2), '55000', NULL,
    'a linked order cannot be moved to another lead');
RESET ROLE;

-- With no order status set, linking only links.
UPDATE crm.accounts SET order_won_status_id = NULL WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.orders (phone) VALUES ('8 916 123 45 68') RETURNING id AS o4 \gset
SELECT is((crm.link_order(:o4, :l_bad)).status_id, :s_new::bigint, 'no order_won_status_id: the lead keeps its status');
RESET ROLE;
UPDATE crm.accounts SET order_won_status_id = :s_paid WHERE id = :a;

-- Auto order linking.
UPDATE crm.accounts SET order_link_mode = 'auto' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Auto', '+7 903 000 00 01') RETURNING id AS l6 \gset
INSERT INTO crm.orders (phone) VALUES ('8 903 000 00 01') RETURNING id AS o5 \gset
SELECT is((SELECT order_id FROM crm.leads WHERE id = :l6), :o5::bigint, 'auto: a new order with one matching open lead is linked');
SELECT is((SELECT status_id FROM crm.leads WHERE id = :l6), :s_paid::bigint, '... and the lead moves to the order status');
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Twin 1', '+7 903 000 00 02'), ('Twin 2', '+7 903 000 00 02');
INSERT INTO crm.orders (phone) VALUES ('+7 903 000 00 02') RETURNING id AS o6 \gset
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o6), NULL, 'auto: two matching open leads, no link');
INSERT INTO crm.orders (phone) VALUES ('+7 903 000 00 03') RETURNING id AS o7 \gset
INSERT INTO crm.leads (contact_name, contact_phone) VALUES ('Late lead', '8 903 000 00 03') RETURNING id AS l7 \gset
SELECT is((SELECT lead_id FROM crm.orders WHERE id = :o7), :l7::bigint, 'auto: a new lead finds the one unlinked order with its phone');

-- The right to see customers hides candidates.
RESET ROLE;
UPDATE crm.accounts SET order_link_mode = 'suggest' WHERE id = :a;
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is((SELECT count(*) FROM crm.order_candidates(:o6)) + (SELECT count(*) FROM crm.client_candidates('+7 495 111 22 33')),
    3::bigint, 'Anna sees two order candidates and one client candidate');
RESET ROLE;
SELECT crm_test.act('crm_test_manager', :a, 'Hidden');
SELECT is_empty($$SELECT * FROM crm.client_candidates('+7 495 111 22 33')$$, 'Hidden: no client candidates');
SELECT is_empty(format($$SELECT * FROM crm.order_candidates(%s)$$, :o6), 'Hidden: no order candidates');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
