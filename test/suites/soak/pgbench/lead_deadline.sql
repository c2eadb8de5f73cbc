-- One of the newest open leads gets another deadline (it may fall due again) and urgency.
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 30)
\set dl random(-10, 240)
SELECT crm_soak.attempt('lead_deadline', :a, :e, $$
UPDATE crm.leads SET deadline = now() + :dl * interval '1 second', urgent = NOT urgent
WHERE account_id = :a
  AND id = (SELECT id FROM crm.leads WHERE account_id = :a AND closed_at IS NULL ORDER BY id DESC OFFSET :k LIMIT 1)
RETURNING id$$);
