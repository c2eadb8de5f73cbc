-- A message in one of the newest conversations: from the client, or from the employee
-- (the first one of an employee to a client is a first contact: alerts, responsible manager).
\set a random(1, :accounts)
\set e random(1, 3)
\set d random(0, 2)
\set k random(0, 20)
SELECT crm_soak.attempt('chat', :a, :e, $$
INSERT INTO crm.messages (conversation_id, direction, employee_id, body)
SELECT c.id, CASE WHEN :d = 0 THEN 'in' ELSE 'out' END, CASE WHEN :d > 0 THEN crm.current_employee() END, 'Soak :d 👋'
FROM crm.conversations c WHERE c.account_id = :a ORDER BY c.id DESC OFFSET :k LIMIT 1
RETURNING id$$);
