-- The same row written whole by the client: phone in E.164 and the client
-- filled in; no rules, no history.
\set c random(1, :ncli)
\set cp random(1, 20)
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id, client_id,
                       contact_name, contact_phone, phone, campaign_id, status_changed_at)
VALUES (1, 'B-' || nextval('public.bare_number_seq'), 1, currval('public.bare_number_seq'), 1, 1, 2, :c,
        'Bench lead', '8 (903) ' || overlay(overlay(lpad(:c::text, 7, '0') placing '-' from 4 for 0) placing '-' from 7 for 0),
        '+7903' || lpad(:c::text, 7, '0'), :cp, now());
