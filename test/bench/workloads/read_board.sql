-- The lead board page of one manager: newest 50.
\set m random(2, :nemp)
SELECT * FROM crm.lead_board WHERE account_id = 1 AND manager_id = :m ORDER BY created_at DESC LIMIT 50;
