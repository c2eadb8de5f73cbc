-- lead_insert over 50 accounts (crm and plpgsql run this text): the account picked per
-- transaction (SET LOCAL crm.account_id, as an application behind a pooler does), each
-- account with its own numbering counter (data/80_accounts.sql).
\set acct random(1, :naccounts)
\set c random(1, 20)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
INSERT INTO crm.leads (contact_name, contact_phone, phone, campaign_id)
VALUES ('Bench lead', '+79161234567', '+79161234567', :c);
COMMIT;
