\set c random(:client_lo, :client_hi)
INSERT INTO crm.messages (conversation_id, direction, employee_id, body)
SELECT id, 'out', :emp, 'Load message 👋' FROM crm.conversations WHERE account_id = :acc AND client_id = :c LIMIT 1;
