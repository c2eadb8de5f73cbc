\set id random(1, :nleads)
UPDATE crm.leads SET status_id = CASE WHEN status_id = 1 THEN 2 ELSE 1 END, status_changed_at = now(), closed_at = NULL
WHERE account_id = 1 AND id = :id;
