-- lead_insert.bare.sql over 50 accounts: the same transaction as lead_insert@50.sql
-- (the account set for it), the row written whole by the client.
\set acct random(1, :naccounts)
\set c random(1, 20)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                       contact_name, contact_phone, phone, campaign_id, status_changed_at)
VALUES (:acct, 'B-' || nextval('public.bare_number_seq'), 1, currval('public.bare_number_seq'), 1, 1, 2,
        'Bench lead', '+79161234567', '+79161234567', :c, now());
COMMIT;
