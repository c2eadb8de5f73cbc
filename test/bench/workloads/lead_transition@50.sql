-- lead_transition over 50 accounts (crm and plpgsql run this text): the account picked
-- per transaction, a random lead of its first :nacclead (data/80_accounts.sql).
\set acct random(1, :naccounts)
\set id random(1, :nacclead)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END WHERE account_id = :acct AND id = :id;
COMMIT;
