-- Status transition: rule check, status time, closing, history.
\set id random(1, :nleads)
UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END WHERE account_id = 1 AND id = :id;
