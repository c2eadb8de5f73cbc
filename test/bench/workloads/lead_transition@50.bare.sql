-- lead_transition.bare.sql over 50 accounts, in the transaction of lead_transition@50.sql.
\set acct random(1, :naccounts)
\set id random(1, :nacclead)
BEGIN;
SELECT set_config('crm.account_id', :acct::text, true);
UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END, status_changed_at = now(), closed_at = NULL
WHERE account_id = :acct AND id = :id;
COMMIT;
