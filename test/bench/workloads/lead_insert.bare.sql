-- The same row written whole by the client: no rules, no history.
\set c random(1, 20)
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                       contact_name, contact_phone, phone, campaign_id, status_changed_at)
VALUES (1, 'B-' || nextval('public.bare_number_seq'), 1, currval('public.bare_number_seq'), 1, 1, 2,
        'Bench lead', '+79161234567', '+79161234567', :c, now());
