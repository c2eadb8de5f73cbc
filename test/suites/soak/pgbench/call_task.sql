-- A call task for one of the newest clients.
\set a random(1, :accounts)
\set e random(2, 3)
\set k random(0, 20)
SELECT crm_soak.attempt('call_task', :a, :e, $$
INSERT INTO crm.call_tasks (client_id, title, employee_id)
SELECT id, 'Soak call', crm.current_employee() FROM crm.clients WHERE account_id = :a ORDER BY id DESC OFFSET :k LIMIT 1
RETURNING id$$);
