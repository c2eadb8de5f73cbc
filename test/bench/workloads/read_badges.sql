-- The badge counts (overdue, urgent) of one manager.
\set m random(2, :nemp)
SELECT * FROM crm.lead_badges WHERE account_id = 1 AND id = :m;
