-- One of the newest clients changes category (not_client and spam close its call tasks).
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 20)
\set c random(1, 8)
SELECT crm_soak.attempt('client_category', :a, :e, $$
UPDATE crm.clients SET category = (ARRAY['client', 'client', 'client', 'sleeping', 'model', 'employee', 'not_client', 'spam'])[:c]
WHERE account_id = :a AND id = (SELECT id FROM crm.clients WHERE account_id = :a ORDER BY id DESC OFFSET :k LIMIT 1)
RETURNING id$$);
