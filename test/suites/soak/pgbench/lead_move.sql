-- One of the newest open leads moves to a status its rules allow now.
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 30)
SELECT crm_soak.attempt('lead_move', :a, :e, $$
SELECT (crm.transition_lead(l.id, t.to_status_id, 'soak')).id
FROM (SELECT id FROM crm.leads WHERE account_id = :a AND closed_at IS NULL ORDER BY id DESC OFFSET :k LIMIT 1) l
CROSS JOIN LATERAL (SELECT to_status_id FROM crm.allowed_transitions(l.id) ORDER BY random() LIMIT 1) t$$);
